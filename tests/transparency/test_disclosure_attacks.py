"""Attacks on the promise of docs/transparency.md, *Counts the public summary leaves out*:
whatever two public answers a visitor differences, the difference is a sum of cells (one
agency, one kind of entry, one UTC day, one value) of at least five entries among at least
five others of their day, never one search — so no visitor learns the offense type of one
identifiable search, nor whether it gave a case number.

The attacker has no login (or another agency's): the portal (JSON, CSV, the HTML page),
the statutory reports of any code for any agency (JSON, CSV, HTML), the audit log's public
summaries and counts — which tell when each search (and export) ran and for which agency,
so that a count that moves by one names the entry that moved it.

Entries of past days are appended to the log with their times set (as
tests/transparency/test_portal_http.py does); every day used has ended in every zone at
hand, so no test depends on the hour it runs. A promise that breaks raises `PromiseBroken`
with what leaked (so a broken set-up fails plainly, as an assertion); three of these
attacks found holes in the first form of the cells (local days, which a change of the
agency's time zone re-cut; one cell for searches and accesses alike; a cell that was the
whole of its day), closed since.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.audit import AuditLog, new_entry
from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from plateledger.transparency.disclosure import NOT_PUBLISHED, SMALLEST_CELL
from tests.api.conftest import PASSWORD, Seed, code, login

LA = ZoneInfo("America/Los_Angeles")  # Union City and Fremont are in California
NEW_YORK = "America/New_York"
REPORT_CODES = ("ca-policy", "va-annual", "or-monthly", "or-quarterly", "mn-audit",
                "vt-annual", "nh-annual")


class PromiseBroken(Exception):
    """A public answer gave away what a search's public summary leaves out."""


def _promise(held: bool, leak: str) -> None:
    if not held:
        raise PromiseBroken(leak)


def _past_day() -> date:
    """A local day that has ended in California and in New York (whatever the hour), with
    the day after it ended too."""
    return datetime.now(LA).date() - timedelta(days=6)


def _at(day: date, hour: int, minute: int = 0) -> str:
    """``day`` at ``hour:minute`` in California, as the log writes times (UTC)."""
    local = datetime.combine(day, time(hour, minute), LA)
    return local.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _access(log: AuditLog, when: str, *, kind: str = "search", offense: str = "240",
            case: bool = False, agency: str = "ucpd") -> int:
    """Append one access (a ``search`` or an ``export``) of ``agency``'s user at ``when``."""
    entry = new_entry(kind, user=f"{agency}-officer", agency=agency,
                      requested_by_agency=agency, purpose="stolen_vehicle",
                      offense_type=offense, case_number="C-77" if case else None,
                      owners_allowed=[agency], owners_denied=[], result_count=1)
    entry["time"] = when
    return log.append(entry)


def _log(client: TestClient) -> AuditLog:
    log: AuditLog = client.app.state.audit_log  # type: ignore[attr-defined]
    return log


def _report(client: TestClient, code_: str, start: date, end: date, agency: str = "ucpd",
            fmt: str = "json") -> Any:
    response = client.get(f"/v1/reports/{code_}", params={
        "agency": agency, "start": start.isoformat(), "end": end.isoformat(), "format": fmt})
    assert response.status_code == 200, response.text
    return response.json() if fmt == "json" else response.text


def _element(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(e for e in report["elements"] if e["key"] == key)


def _offenses(report: dict[str, Any]) -> dict[str, int]:
    return {r[0]: r[1] for r in _element(report, "offense_types")["figure"]["rows"]}


# --- holes ---------------------------------------------------------------------------------


def test_a_time_zone_change_does_not_move_one_search_out_of_a_published_cell(
    client: TestClient,
) -> None:
    """Promise: every published cell is fixed once its day has ended, so two answers about
    the same days, read at any two times, differ by whole cells of five or more.

    Attack: read the Oregon report of Union City around a late-evening search S, then again
    after its admin sets the agency's time zone to New York (an ordinary settings fix),
    hoping the day cells are re-cut in the new zone so that S alone crosses midnight and the
    13B count falls by exactly S. Cells are UTC days: the same cells, the same counts."""
    log, d = _log(client), _past_day()
    for m in range(SMALLEST_CELL + 1):
        _access(log, _at(d, 12, m), offense="13B")
    for m in range(SMALLEST_CELL + 1):
        _access(log, _at(d, 12, 10 + m), offense="240")
    _access(log, _at(d, 22, 30), offense="13B")  # S: 01:30 the next day in New York
    for m in range(3):
        _access(log, _at(d + timedelta(days=1), 12, m), offense="13B")
    _access(log, _at(d + timedelta(days=1), 12, 10), offense="240")
    start, end = d - timedelta(days=1), d + timedelta(days=2)
    before = _report(client, "or-monthly", start, end)
    assert _offenses(before) == {"13B": 6, "240": 6, NOT_PUBLISHED: 5}
    changed = client.patch("/v1/admin/agency", json={"timezone": NEW_YORK},
                           headers=login(client, "ucpd-admin"))
    assert changed.status_code == 200, changed.text
    after = _report(client, "or-monthly", start, end)
    assert after["period"]["timezone"] == NEW_YORK
    assert _element(after, "searches")["value"] == _element(before, "searches")["value"] == 17
    moved = _offenses(before).get("13B", 0) - _offenses(after).get("13B", 0)
    _promise(moved == 0 or abs(moved) >= SMALLEST_CELL,
             f"the 13B count moved by {moved} when one search changed day: it was 13B")


def test_access_cells_and_search_cells_of_one_day_do_not_difference_to_one_export(
    client: TestClient,
) -> None:
    """Promise: whether an access gave a case number is not in its public summary; any two
    answers differ by cells of five or more.

    Attack: on a day with ten searches (five gave a case number) and one export that gave
    one, ask the Minnesota report (accesses) and the Oregon report (searches) of the same
    agency and days, hoping their difference is the export, which the public log shows as
    the day's only export. Cells are kept by kind of entry: the export's is its own, of
    one, and unpublished."""
    log, d = _log(client), _past_day()
    for m in range(SMALLEST_CELL):
        _access(log, _at(d, 12, m), case=True)
    for m in range(SMALLEST_CELL):
        _access(log, _at(d, 12, 10 + m), case=False)
    _access(log, _at(d, 12, 20), kind="export", case=True)
    start, end = d - timedelta(days=1), d + timedelta(days=1)
    oregon = _report(client, "or-monthly", start, end)
    minnesota = _report(client, "mn-audit", start, end)
    assert _element(oregon, "searches")["value"] == 10
    assert _element(minnesota, "accesses")["value"] == 11
    assert _element(oregon, "with_case")["value"] == SMALLEST_CELL  # the search cell shows
    gap = (_element(minnesota, "accesses_with_case")["value"]
           - _element(oregon, "with_case")["value"])
    _promise(gap == 0 or gap >= SMALLEST_CELL,
             f"Minnesota less Oregon is {gap}: the day's one export gave a case number")


def test_a_published_cell_never_covers_every_search_of_its_day(client: TestClient) -> None:
    """Promise: no public answer tells the offense type of one identifiable search, nor
    whether it gave a case number.

    Attack (the complement): read a one-day report of a day with exactly five searches and
    compare each published count with the day's total, which is public."""
    log, d = _log(client), _past_day()
    for m in range(SMALLEST_CELL):
        _access(log, _at(d, 12, m), offense="13B", case=True)
    oregon = _report(client, "or-monthly", d - timedelta(days=1), d + timedelta(days=1))
    total = _element(oregon, "searches")["value"]
    by_day = client.get("/v1/transparency/agencies/ucpd", params={"days": 30}).json()
    assert [r[1] for r in by_day["figures"]["searches_by_day"]["rows"]
            if r[0] == d.isoformat()] == [total] == [SMALLEST_CELL]
    shown = [n for k, n in _offenses(oregon).items() if k != NOT_PUBLISHED]
    shown.append(_element(oregon, "with_case")["value"])
    whole = [n for n in shown if n == total]
    _promise(not whole, f"a published count of {whole[0] if whole else 0} is all of the "
                        f"day's {total} searches: each one's value is known")


# --- attacks the code withstands ------------------------------------------------------------


@pytest.fixture
def attacker(settings: Settings, seed: Seed) -> Iterator[tuple[TestClient, str]]:
    """The app, with an investigator of Fremont (the attacker's own agency) and the
    one-time-code secret of that investigator."""
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        secret = new_totp_secret()
        catalog.add_user(seed.fpd_id, "fred", PASSWORD, ["investigator"], totp_secret=secret)
    finally:
        catalog.close()
    with TestClient(create_app(settings)) as client:
        yield client, secret


def test_another_agencys_searches_made_for_the_target_do_not_fill_its_cells(
    attacker: tuple[TestClient, str],
) -> None:
    """Promise: a cell holds one agency's own searches only, so no outsider can bring a
    cell holding one target search to five with searches whose values it knows.

    Attack: Fremont's investigator runs four 13B searches with a case number *for* Union
    City (``requested_by``), over the real API, on the day Union City ran one search S;
    then reads Union City's portal and its Oregon and Minnesota reports of that day. S
    stays unpublished: the attacker's searches count for Fremont."""
    client, secret = attacker
    log, d = _log(client), _past_day()
    headers = login(client, "fred", code(secret))
    made: list[int] = []
    for _ in range(SMALLEST_CELL - 1):
        body = {"kind": "exact", "params": {"plate": "7PADDED"}, "purpose": "stolen_vehicle",
                "offense_type": "13B", "case_number": "FPD-1", "requested_by": "ucpd",
                "reason": "padding a cell of another agency"}
        response = client.post("/v1/searches", json=body, headers=headers)
        assert response.status_code == 200, response.text
        made.append(response.json()["audit_index"])
    for i, index in enumerate(made):  # the attacker's very entries, on the target's day
        entry = dict(log.entry(index).entry)
        assert (entry["agency"], entry["requested_by_agency"]) == ("fpd", "ucpd")
        entry["time"] = _at(d, 12, i)
        entry.pop("log_index", None)
        log.append(entry)
    _access(log, _at(d, 12, 30), offense="13B", case=True)  # S
    around = (d - timedelta(days=1), d + timedelta(days=1))
    oregon = _report(client, "or-monthly", *around)
    assert _offenses(oregon) == {NOT_PUBLISHED: 1}
    assert _element(oregon, "with_case")["value"] == 0
    minnesota = _report(client, "mn-audit", *around)
    assert (_element(minnesota, "accesses")["value"],
            _element(minnesota, "accesses_with_case")["value"]) == (1, 0)
    portal = client.get("/v1/transparency/agencies/ucpd", params={"days": 30}).json()
    assert portal["figures"]["searches_by_offense"]["rows"] == [[NOT_PUBLISHED, 1]]


def test_no_route_or_format_publishes_a_cell_below_five_or_of_today(
    client: TestClient,
) -> None:
    """Promise: an offense type is published only in a cell of five or more, among five or
    more others, of a day that has ended — on every public route and in every format.

    Attack: on a past day Union City ran five 09A searches, five 240 and four 13B (with a
    case number); today it ran six more 13B (a full cell, but the day has not ended). The
    visitor reads the portal with `days` at its extremes (JSON, each figure's CSV), the
    HTML page, every report code as JSON, CSV and HTML over the past day alone and over a
    period ending far in the future, and the audit log's public counts and summaries: 09A
    is published (five), 13B nowhere, and no case number is counted."""
    log, d = _log(client), _past_day()
    for m in range(SMALLEST_CELL):
        _access(log, _at(d, 12, m), offense="09A")
        _access(log, _at(d, 12, 10 + m), offense="240")
    for m in range(SMALLEST_CELL - 1):
        _access(log, _at(d, 13, m), offense="13B", case=True)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for _ in range(SMALLEST_CELL + 1):
        _access(log, now, offense="13B", case=True)
    seen_09a = 0
    for days in (1, 7, 30, 366):
        portal = client.get("/v1/transparency/agencies/ucpd", params={"days": days})
        assert portal.status_code == 200, portal.text
        figures = portal.json()["figures"]
        assert "13B" not in json.dumps(figures)
        seen_09a += "09A" in json.dumps(figures)
        for name in figures:
            text = client.get(f"/v1/transparency/agencies/ucpd/figures/{name}",
                              params={"days": days, "format": "csv"}).text
            assert all("13B" not in row for row in csv.reader(io.StringIO(text)))
    # the windows of 30 and 366 days hold the past day's UTC day whole; 7 days start at
    # local midnight, hours after it began
    assert seen_09a == 2
    page = client.get("/transparency/ucpd")
    assert page.status_code == 200
    assert "<td>09A</td>" in page.text and "<td>13B</td>" not in page.text
    far = datetime.now(UTC).date() + timedelta(days=300)
    for code_ in REPORT_CODES:
        for start, end in ((d, d), (d - timedelta(days=1), far)):
            report = _report(client, code_, start, end)
            assert "13B" not in json.dumps(report["elements"])
            for element in report["elements"]:
                if element["key"] in ("with_case", "queries_with_justification",
                                      "accesses_with_case"):
                    assert element["value"] == 0  # four of the past day, six of today
            text = _report(client, code_, start, end, fmt="csv")
            assert all("13B" not in row for row in csv.reader(io.StringIO(text)))
            assert "<td>13B</td>" not in _report(client, code_, start, end, fmt="html")
    oregon = _report(client, "or-monthly", d - timedelta(days=1), far)
    assert _offenses(oregon) == {"09A": SMALLEST_CELL, "240": SMALLEST_CELL,
                                 NOT_PUBLISHED: 10}
    assert "13B" not in json.dumps(client.get("/v1/audit/counts").json())
    entries = client.get("/v1/audit/entries", params={"limit": 100}).json()["entries"]
    assert len(entries) == 3 * SMALLEST_CELL - 1 + SMALLEST_CELL + 1  # every search appended
    # the summaries only: a leaf hash is base64, in which any three letters may turn up
    assert "13B" not in json.dumps([e["summary"] for e in entries])


def test_a_cell_is_counted_whole_or_not_at_all_on_every_route(
    client: TestClient,
) -> None:
    """Promise: a cell is the same cell wherever it is counted, so no pair of answers cuts
    one in two and differences the halves.

    Attack: Union City ran five 13B and five 240 searches between 23:00 and 23:15 Pacific
    (the next day in UTC) and one 13B search the next local morning: the two local days
    split the UTC day that holds all eleven. The one-day report of either local day holds
    part of that cell and publishes nothing of it; the two-day report and the portal hold
    it whole and publish it whole (six 13B, five 240); the portal's searches by day still
    count each search on its local day."""
    log, d = _log(client), _past_day()
    for m in range(SMALLEST_CELL):
        _access(log, _at(d, 23, m), offense="13B")
        _access(log, _at(d, 23, 10 + m), offense="240")
    nxt = d + timedelta(days=1)
    _access(log, _at(nxt, 9), offense="13B")
    assert _offenses(_report(client, "or-monthly", d, d)) == {NOT_PUBLISHED: 10}
    assert _offenses(_report(client, "or-monthly", nxt, nxt)) == {NOT_PUBLISHED: 1}
    whole = {"13B": SMALLEST_CELL + 1, "240": SMALLEST_CELL}
    assert _offenses(_report(client, "or-quarterly", d, nxt)) == whole
    portal = client.get("/v1/transparency/agencies/ucpd", params={"days": 30}).json()
    assert dict(map(tuple, portal["figures"]["searches_by_offense"]["rows"])) == whole
    by_day = {r[0]: r[1] for r in portal["figures"]["searches_by_day"]["rows"]}
    assert (by_day[d.isoformat()], by_day[nxt.isoformat()]) == (2 * SMALLEST_CELL, 1)
