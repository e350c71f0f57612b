"""What a report takes from the read store and the hit records, recomputed here from the
reads and hits themselves: each reader's active hours in the agency's zone, the distinct
plates, the matches per device; another agency's reads and hits never count, a retried
read counts once, and what the store no longer holds is said."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from plateledger.audit import new_entry
from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.hotlist.alert import Alert, AlertRead
from plateledger.hotlist.hits import HitStore
from plateledger.hotlist.schema import hotlist_hits
from plateledger.read import PlateRead
from plateledger.settings import Settings
from plateledger.store import ReadStore
from plateledger.transparency.activity import HIT_RECORDS_TABLE, hour_ranges
from plateledger.transparency.facts import facts_of
from plateledger.transparency.reports import ABSENT, HIT_RECORDS, READ_STORE, Period
from plateledger.transparency.service import build_report
from tests.factories import make_read

YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")

# (camera, plate, UTC time): the Minnesota agency's reads
READS = [
    ("cam-a", "ABC123", "2025-01-01T03:00:00"),  # 2024-12-31 21:00 in Minnesota: outside
    ("cam-a", "ABC123", "2025-01-01T07:00:00"),  # 01:00 on January 1
    ("cam-a", "XYZ789", "2025-06-10T02:30:00"),  # 21:30 on June 9 (CDT)
    ("cam-a", "ABC123", "2025-06-10T14:10:00"),  # 09:10
    ("cam-a", "QQQ111", "2025-06-10T15:59:00"),  # 10:59
    ("cam-b", "XYZ789", "2025-12-31T23:30:00"),  # 17:30 (CST)
    ("cam-b", "LMN456", "2026-01-01T03:00:00"),  # 21:00 on December 31: inside
    ("cam-b", "LMN456", "2026-01-01T07:00:00"),  # 01:00 on January 1, 2026: outside
]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _read(owner: int, camera: str, plate: str, when: datetime) -> PlateRead:
    return make_read(
        plate,
        camera=camera,
        owner=owner,
        now=when + timedelta(minutes=1),
        minutes_ago=1,
        keep_days=3650,
        state="MN",
    )


@pytest.fixture
def world(tmp_path: Path, store: ReadStore) -> Iterator[tuple[Catalog, ReadStore, int, int]]:
    catalog = open_catalog(Settings(data_dir=tmp_path, secret_key="k" * 32), password_hasher=FAST)
    mpd = catalog.add_agency("Minneapolis PD", "mpd", "municipal", "MN")
    other = catalog.add_agency("Other PD", "opd", "municipal", "MN")
    reads = [_read(mpd.id, c, p, _at(t)) for c, p, t in READS]
    store.insert_reads(reads)
    store.insert_reads(reads[2:3])  # a retried batch: the same read again
    # another agency's reads on the same camera ids and times: never counted for mpd
    store.insert_reads(
        [_read(other.id, c, "OTHER" + str(i), _at(t)) for i, (c, _, t) in enumerate(READS)]
    )
    try:
        yield catalog, store, mpd.id, other.id
    finally:
        catalog.close()
        _empty(store)  # the session shares one store: leave no read behind


def _empty(store: ReadStore) -> None:
    for table in ("reads", "plates", "plate_variants"):
        store.engine.command(f"TRUNCATE TABLE IF EXISTS {store.db}.{table}")


def _expected(zone: ZoneInfo) -> tuple[dict[str, tuple[set[int], set[date], int]], int]:
    per: dict[str, tuple[set[int], set[date], int]] = defaultdict(lambda: (set(), set(), 0))
    plates = set()
    for camera, plate, text in READS:
        local = _at(text).astimezone(zone)
        if not YEAR.start <= local.date() <= YEAR.end:
            continue
        hours, days, n = per[camera]
        hours.add(local.hour)
        days.add(local.date())
        per[camera] = (hours, days, n + 1)
        plates.add(plate)
    return dict(per), len(plates)


def test_readers_and_plates_are_recomputed_from_the_reads(
    world: tuple[Catalog, ReadStore, int, int],
) -> None:
    catalog, store, mpd_id, _ = world
    agency = catalog.agency(mpd_id)
    assert agency is not None
    report = build_report(catalog, store, agency, "mn-audit", YEAR, [], 0, now=NOW)
    assert report.timezone == "America/Chicago"
    per, plates = _expected(CHICAGO)
    active = report.element("active_times")
    assert active.source == READ_STORE
    assert active.figure is not None
    assert {r[0]: (r[1], r[2], r[3], r[4]) for r in active.figure.rows} == {
        camera: (hour_ranges(h), len(h), len(d), n) for camera, (h, d, n) in per.items()
    }
    assert per["cam-a"][0] == {1, 21, 9, 10} and per["cam-b"][2] == 2
    assert active.note is None  # the store holds reads from before the period
    collected = report.element("plates_collected")
    assert (collected.source, collected.value) == (READ_STORE, plates)
    assert plates == 4


def test_the_agencys_own_zone_moves_the_hours(
    world: tuple[Catalog, ReadStore, int, int],
) -> None:
    catalog, store, mpd_id, _ = world
    agency = catalog.update_agency(mpd_id, timezone="America/Denver")
    report = build_report(catalog, store, agency, "mn-audit", YEAR, [], 0, now=NOW)
    assert report.timezone == "America/Denver"
    per, plates = _expected(ZoneInfo("America/Denver"))
    figure = report.element("active_times").figure
    assert figure is not None
    assert {r[0]: r[1] for r in figure.rows} == {c: hour_ranges(h) for c, (h, _, _) in per.items()}
    assert report.element("plates_collected").value == plates


def test_reads_purged_before_the_report_are_said_not_counted(
    world: tuple[Catalog, ReadStore, int, int],
) -> None:
    catalog, store, mpd_id, _ = world
    agency = catalog.agency(mpd_id)
    assert agency is not None
    earlier = Period(date(2024, 1, 1), date(2024, 12, 31))
    report = build_report(catalog, store, agency, "mn-audit", earlier, [], 0, now=NOW)
    note = report.element("plates_collected").note
    assert note is not None and "from 2024-12-31 on" in note and "not counted" in note
    assert report.element("plates_collected").value == 1  # the one read of 2024, locally
    before = build_report(
        catalog,
        store,
        agency,
        "mn-audit",
        Period(date(2023, 1, 1), date(2023, 12, 31)),
        [],
        0,
        now=NOW,
    )
    none = before.element("active_times")
    assert none.figure is not None and none.figure.rows == ()
    assert none.note is not None and "no read of this agency from this period" in none.note


def test_without_the_store_the_elements_say_so(
    world: tuple[Catalog, ReadStore, int, int],
) -> None:
    catalog, _, mpd_id, _ = world
    agency = catalog.agency(mpd_id)
    assert agency is not None
    report = build_report(catalog, None, agency, "mn-audit", YEAR, [], 0, now=NOW)
    assert report.element("active_times").source == ABSENT
    assert "not computed" in str(report.element("plates_collected").value)


def _alert(owner: int, camera: str, when: datetime, n: int) -> Alert:
    return Alert(
        hit_id=f"hit-{owner}-{n}",
        created_at=when,
        list_id=1,
        list_owner_id=owner,
        entry_id=1,
        category="stolen_vehicle",
        match_kind="exact",
        plate_listed="ABC123",
        region_listed="MN",
        region_mismatch=False,
        priority=1,
        reason="stolen",
        case_number="C-1",
        read=AlertRead(
            read_id=f"r-{n}", owner_id=owner, camera_id=camera, ts=when, plate="ABC123", region="MN"
        ),
    )


def test_matches_per_device_come_from_the_hit_records(
    world: tuple[Catalog, ReadStore, int, int],
) -> None:
    catalog, store, mpd_id, other_id = world
    agency = catalog.agency(mpd_id)
    assert agency is not None
    hits = HitStore(catalog.engine)
    mine = [
        ("cam-a", "2025-03-01T12:00:00"),
        ("cam-a", "2025-08-01T12:00:00"),
        ("cam-b", "2026-01-01T05:00:00"),  # December 31 in Minnesota: inside
        ("cam-b", "2025-01-01T05:00:00"),
    ]  # December 31, 2024: outside
    with catalog.engine.begin() as conn:
        hits.insert(conn, [(_alert(mpd_id, c, _at(t), i), []) for i, (c, t) in enumerate(mine)])
        hits.insert(conn, [(_alert(other_id, "cam-a", _at("2025-05-05T12:00:00"), 9), [])])
    # the audit log delivered one more hit of the year than the records still hold
    deliveries = [
        new_entry(
            "alert_delivery",
            hit_id=f"h{i}",
            agency="mpd",
            owner_agency="mpd",
            list_id=1,
            category="stolen_vehicle",
            list_class="local",
            match_kind="exact",
            read_id="r",
            policy_ids=[],
        )
        | {"time": t + "Z"}
        for i, t in enumerate(
            [
                "2025-03-01T12:00:00",
                "2025-08-01T12:00:00",
                "2026-01-01T05:00:00",
                "2025-10-10T12:00:00",
            ]
        )
    ]
    report = build_report(
        catalog, store, agency, "nh-annual", YEAR, facts_of(enumerate(deliveries)), 4, now=NOW
    )
    element = report.element("matches_per_device")
    assert element.source == HIT_RECORDS
    assert element.figure is not None
    assert dict(element.figure.rows) == {"cam-a": 2, "cam-b": 1}
    assert element.value == 3 and report.element("matches").value == 4
    assert element.note is not None and "1 of the period's 4 matches" in element.note


def test_the_hit_records_are_read_by_the_hotlist_schemas_names() -> None:
    assert hotlist_hits.name == HIT_RECORDS_TABLE
    assert {"camera_id", "read_owner_id", "created_at"} <= set(hotlist_hits.c.keys())


def test_hour_ranges() -> None:
    assert hour_ranges([0, 1, 2, 7, 23]) == "00:00-03:00, 07:00-08:00, 23:00-24:00"
    assert hour_ranges([]) == ""
