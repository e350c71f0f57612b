"""The pages in headless Chromium: scripts run, call the API and show what it answered."""

from __future__ import annotations

import json
import re
import time

import httpx

from plateledger.catalog import open_catalog
from plateledger.settings import Settings
from tests.web.conftest import DumpDom
from tests.web.harness import LOCKED_USER, Browser, WebServer, lock


def _text(browser: Browser, selector: str) -> str:
    value = browser.evaluate(f"document.querySelector({json.dumps(selector)})?.textContent")
    return str(value or "")


def _sign_in(browser: Browser, server: WebServer, username: str, password: str) -> None:
    browser.goto(f"{server.url}/login")
    browser.evaluate(
        "(() => { const f = document.getElementById('login-form');"
        f" f.username.value = {json.dumps(username)};"
        f" f.password.value = {json.dumps(password)};"
        " f.requestSubmit(); })()"
    )


def _post_ucpd_reads(server: WebServer, reads: list[dict[str, object]], label: str) -> None:
    """Post ``reads`` (``camera_id`` filled in: UCPD's first camera) with a new UCPD key."""
    catalog = open_catalog(Settings(data_dir=server.data_dir, require_totp=False))
    try:
        ucpd = catalog.agency_by_slug("ucpd")
        assert ucpd is not None
        key = catalog.issue_api_key(ucpd.id, label=label)
        camera = catalog.cameras(owner_id=ucpd.id)[0].camera_id
    finally:
        catalog.close()
    posted = httpx.post(f"{server.url}/v1/reads", headers={"X-API-Key": key}, timeout=30,
                        json=[{"camera_id": camera, **read} for read in reads])
    assert posted.status_code == 200, posted.text


def _search_as_investigator(browser: Browser, server: WebServer, plate: str, case: str,
                            reason: str) -> None:
    """Sign in as UCPD's investigator, search ``plate`` exactly and wait for the results."""
    _sign_in(browser, server, "ucpd.investigator", server.password)
    browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
    browser.wait_for("document.getElementById('search-form') !== null")
    browser.wait_for("document.getElementById('offense_type').dataset.loaded === 'true'")
    fields = json.dumps({"plate": plate, "purpose": "stolen_vehicle", "offense_type": "240",
                         "case_number": case, "reason": reason})
    browser.evaluate(
        "(() => { const f = document.getElementById('search-form');"
        f" for (const [k, v] of Object.entries({fields})) f[k].value = v;"
        " f.requestSubmit(); })()"
    )
    browser.wait_for("!document.getElementById('results').hidden")


def test_transparency_lists_entries_and_counts_them(
    web_server: WebServer, dump_dom: DumpDom
) -> None:
    size = int(httpx.get(f"{web_server.url}/v1/audit/checkpoint", timeout=30).text.split()[1])
    dom = dump_dom(f"{web_server.url}/transparency")
    rows = re.findall(r'<tr id="row-(\d+)">', dom)
    assert rows and rows[0] == str(size - 1)  # newest first
    assert "User change" in dom and "Fremont PD" in dom
    assert f"most recent entries (of {size})" in dom
    assert '<th scope="row">User change</th>' in dom  # the counts table
    assert "this server's address" not in dom  # the commands name the real address
    assert f'<span class="origin-url">{web_server.url}</span>' in dom


def test_login_page_runs_its_scripts(web_server: WebServer, dump_dom: DumpDom) -> None:
    dom = dump_dom(f"{web_server.url}/login")
    assert 'id="login-form"' in dom
    # session.js ran: nobody is signed in, so the sign-in link stays and the user is hidden
    assert re.search(r'<span id="signed-in" hidden="">', dom)


def test_signing_in_keeps_the_token_and_opens_the_search(
    web_server: WebServer, browser: Browser
) -> None:
    _sign_in(browser, web_server, "ucpd.investigator", web_server.password)
    browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
    who = browser.wait_for("document.getElementById('who-name').textContent")
    assert who == "ucpd.investigator (Union City PD)"
    assert browser.evaluate("sessionStorage.getItem('plateledger.token')")
    assert browser.evaluate("document.getElementById('need-login').hidden") is True


def test_a_wrong_password_says_so_and_names_the_back_off(
    web_server: WebServer, browser: Browser
) -> None:
    _sign_in(browser, web_server, "acso.investigator", "not the password")
    message = browser.wait_for(
        "!document.getElementById('login-message').hidden"
        " && document.getElementById('login-message').textContent.includes('failed')"
        " && document.getElementById('login-message').textContent"
    )
    assert "Sign-in failed" in message and "must wait" in message
    assert browser.evaluate("sessionStorage.getItem('plateledger.token')") is None
    assert browser.evaluate("location.pathname") == "/login"


def test_a_device_that_must_wait_is_told_when_to_try_again(
    web_server: WebServer, browser: Browser
) -> None:
    # The session's server locked this account when it started; that wait lasts minutes
    # and may have run out once many browser tests ran before this one, so fail its
    # sign-ins again just before.
    lock(web_server, LOCKED_USER)
    _sign_in(browser, web_server, LOCKED_USER, web_server.password)
    message = browser.wait_for(
        "(document.getElementById('login-message')?.textContent || '').includes('Too many')"
        " && document.getElementById('login-message').textContent"
    )
    assert "Try again in" in message and "another device" in message
    assert "administrator has been alerted" in message


def test_transparency_counts_what_each_owner_released_denied_and_withheld(
    web_server: WebServer, dump_dom: DumpDom
) -> None:
    dom = dump_dom(f"{web_server.url}/transparency")
    assert re.search(r'<table id="owner-counts">.*?<tbody><tr><th scope="row">', dom, re.S)
    # each row: the reads' owner and the list's class, never the list's owner
    assert "No hot-list hit withheld" in dom or re.search(
        r'<table id="withheld-counts">.*?<th scope="row">[^<]*: [a-z_]+</th>', dom, re.S)
    assert '<th scope="col">Released data</th><th scope="col">Denied</th>' in dom


def test_the_search_form_names_what_is_missing(web_server: WebServer, browser: Browser) -> None:
    _sign_in(browser, web_server, "ucpd.investigator", web_server.password)
    browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
    browser.wait_for("document.getElementById('search-form') !== null")
    browser.evaluate("document.getElementById('search-form').requestSubmit()")
    message = browser.wait_for("document.getElementById('search-message').textContent")
    assert "enter a plate" in message and "choose a purpose" in message
    assert "give the reason" in message
    invalid = browser.evaluate(
        "[...document.querySelectorAll('[aria-invalid=true]')].map((e) => e.id)"
    )
    assert invalid == ["plate", "purpose", "offense_type", "reason"]
    assert "choose an offense type" in message
    assert browser.evaluate("document.activeElement.id") == "plate"


def test_an_auditor_opens_an_entry_with_its_inclusion_proof(
    web_server: WebServer, browser: Browser
) -> None:
    listed = httpx.get(f"{web_server.url}/v1/audit/entries", timeout=30).json()["entries"]
    index = next(e["index"] for e in listed if e["summary"]["type"] == "user_change")
    _sign_in(browser, web_server, "ucpd.auditor", web_server.password)
    browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
    browser.goto(f"{web_server.url}/audit#entry-{index}")
    proof = browser.wait_for("document.getElementById('detail-proof').textContent")
    assert "root hash" in proof and "tree size" in proof
    assert "user change" in _text(browser, "#detail-body").lower()
    note = browser.wait_for("document.getElementById('view-note').textContent")
    assert "your agency" in note.lower()


def test_an_auditor_reads_the_whole_entry_of_a_search_of_their_agency(
    web_server: WebServer, browser: Browser
) -> None:
    searched = httpx.post(
        f"{web_server.url}/v1/searches", timeout=60,
        headers={"Authorization": f"Bearer {web_server.token('ucpd.investigator')}"},
        json={"kind": "exact", "params": {"plate": "6WEB123"}, "purpose": "stolen_vehicle",
              "offense_type": "240",
              "case_number": "UC-2026-0101", "reason": "stolen blue hatchback"},
    )
    assert searched.status_code == 200, searched.text
    index = searched.json()["audit_index"]
    _sign_in(browser, web_server, "ucpd.auditor", web_server.password)
    browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
    browser.goto(f"{web_server.url}/audit#entry-{index}")
    browser.wait_for("document.getElementById('detail-proof').textContent")
    detail = _text(browser, "#detail-body")
    assert "Full content:" in detail and "6WEB123" in detail
    note = browser.wait_for("document.getElementById('view-note').textContent")
    assert "as your agency's part earns" in note.lower()


def test_a_federal_auditor_is_served_the_public_summary_of_a_california_search(
    web_server: WebServer, browser: Browser
) -> None:
    catalog = open_catalog(Settings(data_dir=web_server.data_dir, require_totp=False))
    try:
        agency = catalog.agency_by_slug("ice-ero-sf")
        assert agency is not None
        if catalog.user_by_username("ice-ero-sf.auditor") is None:
            catalog.add_user(agency.id, "ice-ero-sf.auditor", web_server.password, ["auditor"])
    finally:
        catalog.close()
    secrets = ("7FED404", "UC-SECRET-0909", "following the witness home")
    searched = httpx.post(
        f"{web_server.url}/v1/searches", timeout=60,
        headers={"Authorization": f"Bearer {web_server.token('ucpd.investigator')}"},
        json={"kind": "exact", "params": {"plate": secrets[0]}, "purpose": "stolen_vehicle",
              "offense_type": "240", "case_number": secrets[1], "reason": secrets[2]},
    )
    assert searched.status_code == 200, searched.text
    index = searched.json()["audit_index"]
    _sign_in(browser, web_server, "ice-ero-sf.auditor", web_server.password)
    browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
    browser.goto(f"{web_server.url}/audit#entry-{index}")
    browser.wait_for("document.getElementById('detail-proof').textContent")
    detail = _text(browser, "#detail-body")
    # it denied by default, sharing nothing with Union City: not even who searched
    assert "public summary" in detail.lower()
    assert "ucpd.investigator" not in detail
    dom = str(browser.evaluate("document.documentElement.outerHTML"))
    assert "ucpd.investigator" not in dom
    for secret in secrets:
        assert secret not in dom


def test_exports_are_safe_csv_and_geojson_in_lon_lat_order(
    web_server: WebServer, browser: Browser
) -> None:
    browser.goto(f"{web_server.url}/search")
    read = {
        "read_id": "00000000-0000-0000-0000-000000000001", "owner_id": 6,
        "origin_state": "NV", "camera_id": "rpd-fx-001", "ts": "2026-01-02T03:04:05Z",
        "plate": "7ABC123", "plate_raw": "=HYPERLINK(\"x\")", "region": "CA",
        "confidence": 0.9, "lat": 39.5, "lon": -119.8, "heading": None,
        "candidate_confidence": 0.41,
    }
    exported = browser.evaluate(
        "import('/static/export.js').then((m) => { const r = " + json.dumps(read) + ";"
        " const owner = () => 'Reno PD';"
        " return [m.toCsv([r], owner), m.toGeoJson([r], owner, {audit_index: 3})]; })"
    )
    csv, geojson = exported
    header, row = csv.strip().split("\r\n")
    assert header.startswith("read_id,time_utc,plate,plate_raw")
    assert "\"'=HYPERLINK(\"\"x\"\")\"" in row and ",Reno PD," in row
    assert header.split(",")[header.split(",").index("distance") + 1] == "candidate_confidence"
    assert ",0.9,,0.41," in row  # confidence, no distance, the candidate's confidence
    collection = json.loads(geojson)
    assert collection["features"][0]["geometry"]["coordinates"] == [-119.8, 39.5]
    assert collection["plateledger"] == {"audit_index": 3}


def test_export_buttons_ask_the_server_for_a_logged_export(
    web_server: WebServer, browser: Browser
) -> None:
    _post_ucpd_reads(web_server, [{"ts": int(time.time() * 1000) - 60_000, "plate": "7EXP123",
                                   "confidence": 0.9}], "export test")
    _search_as_investigator(browser, web_server, "7EXP123", "UC-2026-0404",
                            "stolen red pickup")
    size = httpx.get(f"{web_server.url}/v1/audit/entries", params={"limit": 1},
                     timeout=30).json()["size"]
    browser.evaluate("document.getElementById('export-csv').click()")
    deadline = time.monotonic() + 30
    types: list[str] = []
    while "export" not in types and time.monotonic() < deadline:
        time.sleep(0.2)
        page = httpx.get(f"{web_server.url}/v1/audit/entries",
                         params={"start": size, "limit": 5}, timeout=30).json()
        types = [e["summary"]["type"] for e in page["entries"]]
    assert "export" in types, browser.evaluate(
        "document.getElementById('search-message').textContent")
    assert browser.evaluate("document.getElementById('search-message').hidden")


def test_a_supervisor_sees_the_agencys_alarms_on_the_audit_page(
    web_server: WebServer, browser: Browser
) -> None:
    # the harness made hpd.auditor's logins from this address wait: Hayward's alarm
    _sign_in(browser, web_server, "hpd.supervisor", web_server.password)
    browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
    browser.goto(f"{web_server.url}/audit")
    alarms = browser.wait_for("document.getElementById('alarm-list').textContent")
    assert "Failed sign-ins" in alarms and LOCKED_USER in alarms


def test_a_read_found_through_a_candidate_reading_is_marked_in_the_results(
    web_server: WebServer, browser: Browser
) -> None:
    now = int(time.time() * 1000)
    _post_ucpd_reads(web_server, [
        {"ts": now - 90_000, "plate": "7CNB482", "confidence": 0.62,
         "candidates": [{"plate": "7CNB482", "confidence": 0.62},
                        {"plate": "7CN8482", "confidence": 0.41}]},
        {"ts": now - 30_000, "plate": "7CN8482", "confidence": 0.9},
    ], "candidate test")
    _search_as_investigator(browser, web_server, "7CN8482", "UC-2026-0405",
                            "stolen grey sedan")
    cells = browser.evaluate(
        "[...document.querySelectorAll('#results-table tbody td.plate')].map((c) => c.textContent)"
    )
    # newest first: the read of the plate itself, then the one whose second reading it was
    assert cells[0] == "7CN8482"
    assert cells[1].startswith("7CNB482") and "matched a candidate reading (41%)" in cells[1]
    assert len(cells) == 2


def test_the_next_page_is_logged_as_a_page_of_the_search(
    web_server: WebServer, browser: Browser
) -> None:
    """Next and previous send the search's page token: each page is decided and logged, as
    a later page of the search (not counted as another search on the portal)."""
    now = int(time.time() * 1000)
    _post_ucpd_reads(web_server, [{"ts": now - 60_000 * (i + 1), "plate": "7PGE001",
                                   "confidence": 0.9} for i in range(30)], "paging test")
    size = httpx.get(f"{web_server.url}/v1/audit/entries", params={"limit": 1},
                     timeout=30).json()["size"]
    _sign_in(browser, web_server, "ucpd.investigator", web_server.password)
    browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
    browser.wait_for("document.getElementById('offense_type').dataset.loaded === 'true'")
    fields = json.dumps({"plate": "7PGE001", "purpose": "stolen_vehicle", "offense_type": "240",
                         "case_number": "UC-2026-0406", "reason": "stolen blue hatchback",
                         "limit": "25"})
    browser.evaluate(
        "(() => { const f = document.getElementById('search-form');"
        f" for (const [k, v] of Object.entries({fields})) f[k].value = v;"
        " f.requestSubmit(); })()"
    )
    browser.wait_for("!document.getElementById('results').hidden")
    browser.evaluate("document.getElementById('next').click()")
    browser.wait_for("document.getElementById('page-of').textContent.startsWith('Page 2')")
    entries = httpx.get(f"{web_server.url}/v1/audit/entries",
                        params={"start": size, "limit": 10}, timeout=30).json()["entries"]
    searches = [e["summary"] for e in entries if e["summary"]["type"] == "search"]
    assert [s.get("later_page", False) for s in searches] == [False, True]
    assert [s["result_count"] for s in searches] == [30, 30]
