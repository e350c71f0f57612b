"""The hot-list page in Chromium: a CSV import with a bad line names the line and keeps the
good ones (or, when asked, imports nothing), and single entries are added and expired."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.web.harness import Browser, WebServer

SCREENS = Path(__file__).parents[2] / "docs" / "screens"
SUPERVISOR = "ucpd.supervisor"
CSV = (
    "Plate,State,Reason,Case Number,Expires,Priority\n"
    "6HLP201,CA,stolen white pickup,24-009101,2030-12-31,5\n"
    "6HLP202,CA,stolen plate,24-009102,,3\n"
    "NOT A PLATE!!,CA,this line is left out,24-009103,,1\n"
    "6HLP204,NV,felony warrant,W-90104,2031-06-30,9\n"
)


def _sign_in(browser: Browser, server: WebServer, username: str) -> str:
    bearer = server.token(username)
    browser.goto(f"{server.url}/login")
    browser.evaluate(
        "sessionStorage.setItem('plateledger.token', " + json.dumps(bearer) + ");"
        " sessionStorage.setItem('plateledger.expires_at', '')"
    )
    return bearer


def _choose_file(browser: Browser, path: Path) -> None:
    """Put ``path`` in the import form's file input, as a user picking it would."""
    found = browser.send("Runtime.evaluate", {
        "expression": "document.getElementById('imp-file')"}, session=True)
    browser.send("DOM.setFileInputFiles", {
        "files": [str(path)], "objectId": found["result"]["objectId"]}, session=True)


def _fill(browser: Browser, values: dict[str, str]) -> None:
    browser.evaluate(
        "(() => { const f = document.getElementById('import-form');"
        f" const v = {json.dumps(values)};"
        " for (const [k, x] of Object.entries(v)) f.elements[k].value = x; })()")


def _get(server: WebServer, bearer: str, path: str) -> Any:
    response = httpx.get(f"{server.url}{path}", timeout=30,
                         headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200, response.text
    return response.json()


def _rows(browser: Browser, selector: str) -> list[list[str]]:
    value = browser.evaluate(
        f"[...document.querySelectorAll({json.dumps(selector)})]"
        ".map((r) => [...r.cells].map((c) => c.textContent.trim()))")
    return [[str(c) for c in row] for row in value]


def test_a_csv_import_names_its_bad_line_and_keeps_the_good_ones(
    web_server: WebServer, browser: Browser, tmp_path: Path
) -> None:
    browser.send("Emulation.setDeviceMetricsOverride", {
        "width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False}, session=True)
    bearer = _sign_in(browser, web_server, SUPERVISOR)
    browser.goto(f"{web_server.url}/hotlists")
    browser.wait_for("document.body.dataset.lists === 'loaded'")

    # Nothing chosen: the form says what is missing and marks those fields.
    browser.evaluate("document.getElementById('import-form').requestSubmit()")
    message = browser.wait_for("document.getElementById('import-error').textContent")
    assert "choose a file" in message and "name the list" in message
    assert "choose a category" in message
    assert browser.evaluate(
        "[...document.querySelectorAll('#import-form [aria-invalid=true]')].map((e) => e.id)"
    ) == ["imp-file", "imp-name", "imp-category"]
    assert browser.evaluate("document.activeElement.id") == "imp-file"

    path = tmp_path / "stolen.csv"
    path.write_text(CSV)
    _choose_file(browser, path)
    _fill(browser, {"name": "stolen (import page)", "category": "stolen_vehicle",
                    "source": "NCIC VEH extract"})
    browser.evaluate("document.getElementById('import-form').requestSubmit()")
    summary = browser.wait_for("!document.getElementById('import-report').hidden"
                               " && document.getElementById('import-summary').textContent")
    assert "3 of 4 lines imported" in summary and "1 line was left out" in summary
    [[line, problem]] = _rows(browser, "#import-errors tbody tr")
    assert line == "4" and "NOTAPLATE!!" in problem and "longer than" in problem
    browser.wait_for("document.querySelectorAll('#entries tbody tr').length === 3")
    shown = _rows(browser, "#entries tbody tr")
    assert [(r[0], r[2]) for r in shown] == [
        ("6HLP201", "24-009101"), ("6HLP202", "24-009102"), ("6HLP204", "W-90104")]
    assert shown[0][4] == "end of 2030-12-31 UTC" and shown[1][4] == "never"

    # The API holds the good lines, as docs/hotlists.md says: the bad one left out.
    [listed] = [h for h in _get(web_server, bearer, "/v1/hotlists")
                if h["name"] == "stolen (import page)"]
    entries = _get(web_server, bearer, f"/v1/hotlists/{listed['id']}/entries")
    assert [(e["plate"], e["case_number"]) for e in entries] == [
        ("6HLP201", "24-009101"), ("6HLP202", "24-009102"), ("6HLP204", "W-90104")]
    SCREENS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(SCREENS / "hotlists.png")

    # Asked to refuse a file with errors, nothing is imported and the line is named.
    _choose_file(browser, path)
    _fill(browser, {"name": "refused (import page)", "category": "stolen_vehicle"})
    browser.evaluate("document.querySelector('#import-form [name=on_error][value=refuse]')"
                     ".checked = true; document.getElementById('import-form').requestSubmit()")
    summary = browser.wait_for(
        "document.getElementById('import-summary').textContent.includes('Nothing')"
        " && document.getElementById('import-summary').textContent")
    assert "Nothing was imported" in summary
    assert _rows(browser, "#import-errors tbody tr")[0][0] == "4"
    assert all(h["name"] != "refused (import page)"
               for h in _get(web_server, bearer, "/v1/hotlists"))


def test_a_list_is_created_and_its_entries_added_expired_and_removed(
    web_server: WebServer, browser: Browser
) -> None:
    bearer = _sign_in(browser, web_server, SUPERVISOR)
    browser.goto(f"{web_server.url}/hotlists")
    browser.wait_for("document.body.dataset.lists === 'loaded'")
    create = ("(() => { const f = document.getElementById('create-form');"
              " f.name.value = 'warrants (entries page)'; f.category.value = 'warrant';"
              " f.requestSubmit(); })()")
    browser.evaluate(create)
    browser.wait_for(
        "!document.getElementById('entries-panel').hidden"
        " && document.getElementById('entries-status').textContent.includes('0 entries')")
    [listed] = [h for h in _get(web_server, bearer, "/v1/hotlists")
                if h["name"] == "warrants (entries page)"]
    assert (listed["category"], listed["file_type"], listed["entry_count"]) == (
        "warrant", "local", 0)
    list_id = listed["id"]
    # The same name twice is named as the problem, before anything is sent.
    browser.evaluate(create)
    error = browser.wait_for("document.getElementById('create-error').textContent")
    assert "exists already" in error

    # A plate that is not one is refused by the API, and the form says so.
    browser.evaluate(
        "(() => { const f = document.getElementById('entry-form');"
        " f.plate.value = '??'; f.requestSubmit(); })()")
    error = browser.wait_for("document.getElementById('entry-error').textContent")
    assert "was not added" in error
    invalid = "document.getElementById('e-plate').getAttribute('aria-invalid')"
    assert browser.evaluate(invalid) == "true"

    browser.evaluate(
        "(() => { const f = document.getElementById('entry-form');"
        " f.plate.value = '5WRN777'; f.region.value = 'CA'; f.case_number.value = 'W-2026-77';"
        " f.reason.value = 'felony warrant'; f.expires.value = '2031-01-31';"
        " f.priority.value = '8'; f.requestSubmit(); })()")
    browser.wait_for("document.querySelectorAll('#entries tbody tr').length === 1")
    [row] = _rows(browser, "#entries tbody tr")
    assert (row[0], row[2], row[4]) == ("5WRN777", "W-2026-77", "end of 2031-01-31 UTC")
    [entry] = _get(web_server, bearer, f"/v1/hotlists/{list_id}/entries")
    assert (entry["case_number"], entry["priority"]) == ("W-2026-77", 8)
    # a date expires at the end of that day, UTC (docs/hotlists.md)
    assert datetime.fromisoformat(entry["expires_at"]) == datetime(2031, 2, 1, tzinfo=UTC)

    # Expire asks once more in place; the second press makes the plate stop matching.
    expire = "document.querySelector('#entries tbody tr button')"
    browser.evaluate(f"{expire}.click()")
    assert browser.evaluate(f"{expire}.textContent") == "Confirm expiry"
    browser.evaluate(f"{expire}.click()")
    browser.wait_for("document.querySelector('#entries tbody tr.inactive')")
    assert "expired" in _rows(browser, "#entries tbody tr")[0][4]
    [entry] = _get(web_server, bearer, f"/v1/hotlists/{list_id}/entries")
    assert datetime.fromisoformat(entry["expires_at"]) <= datetime.now(UTC)

    # Remove the plate, then delete the list: each asks once more in place.
    remove = "document.querySelectorAll('#entries tbody tr button')[1]"
    browser.evaluate(f"{remove}.click(); {remove}.click()")
    browser.wait_for("document.querySelectorAll('#entries tbody tr').length === 0")
    assert _get(web_server, bearer, f"/v1/hotlists/{list_id}/entries") == []
    delete = f"document.querySelectorAll('#lists tr[data-list=\"{list_id}\"] button')[1]"
    browser.evaluate(f"{delete}.click(); {delete}.click()")
    browser.wait_for(f"!document.querySelector('#lists tr[data-list=\"{list_id}\"]')")
    assert all(h["id"] != list_id for h in _get(web_server, bearer, "/v1/hotlists"))


NCIC = (
    "# NCIC-style pipe-delimited extract; the first line names the fields\n"
    "LIC|LIS|LIT|OCA|NIC|EXP|MIS|PRI\n"
    "6NCC301|CA|PC|24-007301|V000000301|20301231|STOLEN GREY SEDAN|5\n"
    "THISISNOTAPLATE|CA|PC|24-007302|V000000302||BAD LINE|3\n"
    "6NCC303|NV|PC||W000000303|20300630|WANTED PERSON - CAUTION|9\n"
)


def test_an_ncic_extract_is_detected_and_its_bad_line_named(
    web_server: WebServer, browser: Browser, tmp_path: Path
) -> None:
    bearer = _sign_in(browser, web_server, SUPERVISOR)
    browser.goto(f"{web_server.url}/hotlists")
    browser.wait_for("document.body.dataset.lists === 'loaded'")
    path = tmp_path / "extract.txt"
    path.write_text(NCIC)
    _choose_file(browser, path)
    _fill(browser, {"name": "NCIC extract (import page)", "category": "stolen_vehicle",
                    "file_type": "ncic_stolen_vehicle"})
    browser.evaluate("document.getElementById('import-form').requestSubmit()")
    summary = browser.wait_for("!document.getElementById('import-report').hidden"
                               " && document.getElementById('import-summary').textContent")
    assert "2 of 3 lines imported" in summary
    [[line, problem]] = _rows(browser, "#import-errors tbody tr")
    assert line == "4" and "THISISNOTAPLATE" in problem
    browser.wait_for("document.querySelectorAll('#entries tbody tr').length === 2")
    # NIC stands in for an empty OCA as the case number (docs/hotlists.md).
    assert [(r[0], r[2]) for r in _rows(browser, "#entries tbody tr")] == [
        ("6NCC301", "24-007301"), ("6NCC303", "W000000303")]
    [listed] = [h for h in _get(web_server, bearer, "/v1/hotlists")
                if h["name"] == "NCIC extract (import page)"]
    assert (listed["entry_count"], listed["file_type"]) == (2, "ncic_stolen_vehicle")
