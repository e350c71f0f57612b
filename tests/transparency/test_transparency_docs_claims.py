"""What docs/transparency.md and docs/reports.md say the portal and the reports do, where
no other test holds it: the window a portal covers by default, the agency's published
purposes, its active cameras, the titles of its chart bars, the offense row of a search
that gave none, how long an answer is kept, the list of reports with their statutes and
cadences, and the notes of the elements counted in cells. Each test runs against the real
app over a seeded SQLite catalog, its audit log and the session's read store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from plateledger.audit import AuditLog, new_entry
from plateledger.policy.purpose import Purpose
from plateledger.settings import Settings
from plateledger.transparency.disclosure import NOT_PUBLISHED, SMALLEST_CELL
from plateledger.transparency.figures import NOT_RECORDED
from tests.api.conftest import Seed, catalog_of, code, login
from tests.factories import unique_plate

PORTAL = "/v1/transparency/agencies"


def _search(client: TestClient, seed: Seed) -> None:
    headers = login(client, "ivy", code(seed.investigator_totp))
    body = {"kind": "exact", "params": {"plate": unique_plate()}, "purpose": "stolen_vehicle",
            "offense_type": "240", "case_number": "C-77",
            "reason": "grey sedan reported stolen from the station lot"}
    response = client.post("/v1/searches", json=body, headers=headers)
    assert response.status_code == 200, response.text


def test_the_window_is_thirty_days_unless_days_says_otherwise(client: TestClient) -> None:
    """transparency.md: "On the JSON and the figures, `days` (1–366, default 30) sets the
    window; the page shows the last 30 days"."""
    body = client.get(f"{PORTAL}/ucpd").json()
    assert body["window_days"] == 30
    assert len(body["figures"]["searches_by_day"]["rows"]) == 30
    figure = client.get(f"{PORTAL}/ucpd/figures/searches_by_day").json()
    assert len(figure["rows"]) == 30
    today = datetime.now(ZoneInfo(body["timezone"])).date()
    assert figure["rows"][-1][0] in {today.isoformat(), (today - timedelta(days=1)).isoformat()}
    assert len(client.get(f"{PORTAL}/ucpd", params={"days": 7}).json()
               ["figures"]["searches_by_day"]["rows"]) == 7
    # "the page shows the last 30 days": one titled bar a day in each chart, whatever `days`
    page = client.get("/transparency/ucpd", params={"days": 7}).text
    assert page.count(f"<title>{figure['rows'][0][0]}: ") == 3
    assert sum(page.count(f"<title>{row[0]}: ") for row in figure["rows"]) == 3 * 30


def test_acceptable_uses_are_the_agencys_purposes_or_the_closed_list(
    client: TestClient, settings: Settings, seed: Seed,
) -> None:
    """transparency.md: "`acceptable_uses` | the agency's published purposes, or the
    closed list"."""
    closed = [p.value for p in Purpose]
    assert client.get(f"{PORTAL}/fpd").json()["acceptable_uses"] == closed
    chosen = ["stolen_vehicle", "missing_person"]
    with catalog_of(settings) as catalog:
        catalog.update_agency(seed.ucpd_id, purposes=chosen)
    assert client.get(f"{PORTAL}/ucpd").json()["acceptable_uses"] == chosen
    assert client.get(f"{PORTAL}/fpd").json()["acceptable_uses"] == closed


def test_cameras_owned_counts_the_agencys_active_cameras_only(
    client: TestClient, settings: Settings, seed: Seed,
) -> None:
    """transparency.md: "`cameras_owned` | the catalog's active cameras of the agency"."""
    before = client.get(f"{PORTAL}/fpd").json()["cameras_owned"]
    on, off = unique_plate("cam-"), unique_plate("cam-")
    with catalog_of(settings) as catalog:
        catalog.add_camera(on, seed.fpd_id, lat=37.55, lon=-121.98)
        catalog.add_camera(off, seed.fpd_id, lat=37.56, lon=-121.97)
        catalog.set_camera_active(off, False)
    assert client.get(f"{PORTAL}/fpd").json()["cameras_owned"] == before + 1
    assert client.get(f"{PORTAL}/ucpd").json()["cameras_owned"] == 0


def test_each_chart_bar_is_titled_with_its_day_and_count(
    client: TestClient, seed: Seed,
) -> None:
    """transparency.md: "The three charts of a portal (searches, hits and alerts by day) are
    SVG drawn by the server, each bar titled with its day and count"."""
    _search(client, seed)
    rows = client.get(f"{PORTAL}/ucpd").json()["figures"]["searches_by_day"]["rows"]
    assert sum(r[1] for r in rows) == 1
    page = client.get("/transparency/ucpd")
    assert page.status_code == 200
    assert page.text.count("<svg") == 3
    for day, searches, hits, alerts in rows:
        for count in {searches, hits, alerts}:
            assert f"<title>{day}: {count}</title>" in page.text, (day, count)
    assert "C-77" not in page.text and "grey sedan" not in page.text


def test_a_search_that_gave_no_offense_type_is_counted_as_not_recorded(
    client: TestClient,
) -> None:
    """transparency.md: "`searches_by_offense` (the NIBRS offense type a search gave,
    `not recorded` when it gave none, counted in cells …)"."""
    log: AuditLog = client.app.state.audit_log  # type: ignore[attr-defined]
    yesterday = (datetime.now(ZoneInfo("America/Los_Angeles")).replace(hour=12)
                 - timedelta(days=1)).astimezone(UTC)
    stamp = yesterday.isoformat().replace("+00:00", "Z")
    for offense in [None] * SMALLEST_CELL + ["09A"] * SMALLEST_CELL + [None]:
        extra = {} if offense is None else {"offense_type": offense}
        entry = new_entry("search", agency="ucpd", requested_by_agency="ucpd", user="x",
                          purpose="homicide", owners_allowed=["ucpd"], owners_denied=[],
                          result_count=1, **extra)
        entry["time"] = stamp
        log.append(entry)
    # today's search is left unpublished: its day has not ended
    log.append(new_entry("search", agency="ucpd", requested_by_agency="ucpd", user="x",
                         purpose="homicide", owners_allowed=["ucpd"], owners_denied=[],
                         result_count=1))
    rows = client.get(f"{PORTAL}/ucpd/figures/searches_by_offense").json()["rows"]
    assert rows == [[NOT_RECORDED, 6], ["09A", 5], [NOT_PUBLISHED, 1]]


def test_an_answer_is_kept_thirty_seconds_unless_the_setting_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """transparency.md: "`PLATELEDGER_TRANSPARENCY_CACHE_SECONDS`, 30; 0 keeps none"."""
    monkeypatch.delenv("PLATELEDGER_TRANSPARENCY_CACHE_SECONDS", raising=False)
    assert Settings().transparency_cache_seconds == 30
    monkeypatch.setenv("PLATELEDGER_TRANSPARENCY_CACHE_SECONDS", "0")
    assert Settings().transparency_cache_seconds == 0


TABLE = {
    "ca-policy": ("Cal. Civ. Code 1798.90.51", "annual"),
    "va-annual": ("Va. Code 2.2-5517", "annual"),
    "or-monthly": ("Or. SB 1516 (2026)", "monthly"),
    "or-quarterly": ("Or. SB 1516 (2026)", "quarterly"),
    "mn-audit": ("Minn. Stat. 13.824", "annual"),
    "vt-annual": ("23 V.S.A. 1607", "annual"),
    "nh-annual": ("N.H. RSA 261:75-b", "annual"),
}


def test_the_reports_are_listed_with_the_statute_and_cadence_of_the_table(
    client: TestClient,
) -> None:
    """reports.md: the table of reports: each code with its statute and cadence (ca-policy
    under Cal. Civ. Code 1798.90.51, .52, .53, annual; or-monthly monthly …)."""
    listed = {r["code"]: r for r in client.get("/v1/reports").json()["reports"]}
    assert set(listed) == set(TABLE)
    for report, (statute, cadence) in TABLE.items():
        assert listed[report]["statute"].startswith(statute), report
        assert listed[report]["cadence"] == cadence, report
    assert "1798.90.52" in listed["ca-policy"]["statute"]
    assert "1798.90.53" in listed["ca-policy"]["statute"]


@pytest.mark.parametrize(("report", "key"), [
    ("va-annual", "queries_with_justification"),
    ("or-monthly", "offense_types"),
    ("or-monthly", "with_case"),
    ("mn-audit", "accesses_with_case"),
])
def test_each_element_counted_in_cells_says_so_in_its_note(
    client: TestClient, report: str, key: str,
) -> None:
    """reports.md: the elements that count case numbers and offense types (Virginia's
    `queries_with_justification`, Oregon's `offense_types` and `with_case`, Minnesota's
    `accesses_with_case`) count them in cells …; "each such element's note says so"."""
    end = date.today().replace(day=1) - timedelta(days=1)
    body = client.get(f"/v1/reports/{report}", params={
        "agency": "ucpd", "start": end.replace(day=1).isoformat(),
        "end": end.isoformat()}).json()
    element = next(e for e in body["elements"] if e["key"] == key)
    assert element["source"] == "audit log"
    note = element["note"]
    assert "(UTC) days that have ended" in note and "wholly in the period" in note
    assert f"at least {SMALLEST_CELL}" in note
