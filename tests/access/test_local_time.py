"""An agency's local time for the audit export: its own time zone when it sets one, else
its home state's (the catalog's one table of states), and UTC for a state not in it."""

from __future__ import annotations

from pathlib import Path

from plateledger.access.local_time import agency_zone, local_time, zone_of
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings

SEARCHED = "2026-07-01T03:30:00Z"  # still June 30 in Chicago and Los Angeles


def test_an_agencys_own_zone_wins_over_its_states(tmp_path: Path) -> None:
    catalog = open_catalog(Settings(data_dir=tmp_path, secret_key="k" * 32), password_hasher=FAST)
    try:
        mpd = catalog.add_agency("Minneapolis PD", "mpd", "municipal", "MN")
        assert agency_zone(mpd) == "America/Chicago"
        assert local_time(SEARCHED, agency_zone(mpd)) == "2026-06-30T22:30:00.000-05:00 CDT"
        # an agency of Minnesota that keeps Pacific time (a unit posted in California)
        mpd = catalog.update_agency(mpd.id, timezone="America/Los_Angeles")
        assert agency_zone(mpd) == "America/Los_Angeles"
        assert local_time(SEARCHED, agency_zone(mpd)) == "2026-06-30T20:30:00.000-07:00 PDT"
        assert zone_of(mpd.home_state, mpd.timezone) == "America/Los_Angeles"
        cleared = catalog.update_agency(mpd.id, timezone=None)
        assert agency_zone(cleared) == zone_of("MN") == "America/Chicago"
        unknown = catalog.add_agency("Nowhere PD", "npd", "municipal", "ZZ")
        assert agency_zone(unknown) == zone_of("ZZ") == "UTC"
        assert zone_of("ZZ", "Pacific/Guam") == "Pacific/Guam"
    finally:
        catalog.close()


def test_a_time_that_does_not_parse_has_no_local_time() -> None:
    assert local_time("yesterday", "America/Chicago") == ""
    assert local_time("2026-07-01T03:30:00", "America/Chicago") == ""
