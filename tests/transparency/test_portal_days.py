"""An agency's portal counts its days in the agency's time zone, as its reports do: a
search just before local midnight is on the day before, though UTC already has the next
day, and the reads its cameras took count from local midnight of the window's first day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from plateledger.audit import AuditLog, new_entry
from plateledger.catalog import Catalog
from plateledger.store import ReadStore
from tests.api.conftest import Seed
from tests.factories import make_read
from tests.transparency.test_activity import _empty

HONOLULU = ZoneInfo("Pacific/Honolulu")  # UTC-10 all year: far from UTC


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), HONOLULU)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _search_at(log: AuditLog, moment: datetime) -> None:
    log.append(
        new_entry(
            "search",
            agency="ucpd",
            requested_by_agency="ucpd",
            user="x",
            purpose="homicide",
            owners_allowed=["ucpd"],
            owners_denied=[],
            result_count=1,
        )
        | {"time": _stamp(moment)}
    )


def test_the_days_of_a_portal_are_the_agencys(client: TestClient, seed: Seed) -> None:
    app = client.app.state  # type: ignore[attr-defined]
    catalog: Catalog = app.catalog
    log: AuditLog = app.audit_log
    store: ReadStore = app.store
    catalog.update_agency(seed.ucpd_id, timezone="Pacific/Honolulu")
    today = datetime.now(HONOLULU).date()
    yesterday = today - timedelta(days=1)
    # early: half past local midnight, or just after midnight when the test runs before
    # half past (a read may not lie in the future)
    now = datetime.now(HONOLULU)
    midnight = _at(today, 0, 0)
    late = _at(yesterday, 23, 30)
    early = max(midnight + timedelta(seconds=1), min(_at(today, 0, 30), now - timedelta(seconds=1)))
    # both are on the same day in UTC: 09:30 and 10:30 of the local today
    assert late.astimezone(UTC).date() == early.astimezone(UTC).date() == today
    try:
        before = client.get("/v1/transparency/agencies/ucpd", params={"days": 1}).json()
        store.insert_reads(
            [
                make_read(
                    plate,
                    camera="ucpd-cam",
                    owner=seed.ucpd_id,
                    now=moment,
                    minutes_ago=0,
                    keep_days=3650,
                )
                for plate, moment in (("LATE111", late), ("EARLY22", early))
            ]
        )
        _search_at(log, late)
        _search_at(log, early)
        body = client.get("/v1/transparency/agencies/ucpd", params={"days": 2}).json()
        assert body["timezone"] == "Pacific/Honolulu"
        rows = {r[0]: r[1] for r in body["figures"]["searches_by_day"]["rows"]}
        assert rows == {yesterday.isoformat(): 1, today.isoformat(): 1}
        one = client.get("/v1/transparency/agencies/ucpd", params={"days": 1}).json()
        assert one["searches"] == 1
        assert one["figures"]["searches_by_day"]["rows"] == [[today.isoformat(), 1, 0, 0]]
        # of the two reads, only the one after local midnight is in today's window
        assert one["vehicles_detected"] - before["vehicles_detected"] == 1
        csv_text = client.get(
            "/v1/transparency/agencies/ucpd/figures/searches_by_day",
            params={"days": 2, "format": "csv"},
        ).text
        assert f"{yesterday.isoformat()},1,0,0" in csv_text
        page = client.get("/transparency/ucpd").text
        assert "by the day in Pacific/Honolulu" in page
    finally:
        _empty(store)
