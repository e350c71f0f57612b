"""The auditor page's searches in headless Chromium: the agency's searches as the audit
export serves them, filtered and paged, with the total; an investigator never sees the
section."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.web.harness import Browser, WebServer

SCREENS = Path(__file__).parents[2] / "docs" / "screens"
CASE = "UC-2026-0777"


def _sign_in(browser: Browser, server: WebServer, username: str) -> None:
    browser.goto(f"{server.url}/login")
    browser.evaluate(
        "(() => { const f = document.getElementById('login-form');"
        f" f.username.value = {json.dumps(username)};"
        f" f.password.value = {json.dumps(server.password)};"
        " f.requestSubmit(); })()"
    )
    browser.wait_for("location.pathname !== '/login' && document.readyState === 'complete'")


def _searches(server: WebServer) -> list[str]:
    """Union City's investigator runs a few searches; their search ids, in order."""
    headers = {"Authorization": f"Bearer {server.token('ucpd.investigator')}"}
    window = {"since": "2026-01-01T00:00:00Z", "until": "2026-01-08T00:00:00Z"}
    bodies = [
        {"kind": "exact", "params": {"plate": "8AUD001", **window}, "offense_type": "240"},
        {"kind": "wildcard", "params": {"plate": "8AUD00?", **window}, "offense_type": "240"},
        {"kind": "fuzzy", "params": {"plate": "8AUD0O1", **window}, "offense_type": "240"},
        {"kind": "area", "params": {"radius": {"lat": 37.59, "lon": -122.04, "meters": 3000},
                                    **window},
         "offense_type": "23H"},
        {"kind": "timeline", "params": {"plate": "8AUD001", **window}, "offense_type": "240"},
    ]
    ids = []
    for n, body in enumerate(bodies):
        response = httpx.post(f"{server.url}/v1/searches", headers=headers, timeout=60, json={
            **body, "purpose": "stolen_vehicle", "case_number": f"{CASE}-{n % 2}",
            "reason": "grey sedan taken from the marina lot"})
        assert response.status_code == 200, response.text
        ids.append(str(response.json()["search_id"]))
    return ids


def _rows(browser: Browser) -> int:
    return int(browser.evaluate("document.querySelectorAll('#searches-table tbody tr').length"))


def test_an_auditor_filters_and_pages_the_agencys_searches(
    web_server: WebServer, browser: Browser
) -> None:
    ids = _searches(web_server)
    _sign_in(browser, web_server, "ucpd.auditor")
    browser.goto(f"{web_server.url}/audit")
    browser.wait_for("!document.getElementById('searches').hidden"
                     " && document.querySelectorAll('#searches-table tbody tr').length > 0")
    first = str(browser.evaluate(
        "document.querySelector('#searches-table tbody tr').textContent"))
    assert ids[-1][:8] in first and "timeline" in first  # newest first
    # filter by case: the three searches of case -0, two to a page
    browser.evaluate(
        "(() => { const f = document.getElementById('export-filters');"
        f" f.case.value = {json.dumps(CASE + '-0')};"
        " f.limit.append(new Option('2', '2', true, true));"
        " f.requestSubmit(); })()")
    browser.wait_for("document.getElementById('searches-page').textContent === '1–2 of 3'")
    assert _rows(browser) == 2
    assert browser.evaluate("document.getElementById('searches-prev').disabled") is True
    browser.evaluate("document.getElementById('searches-next').click()")
    browser.wait_for("document.getElementById('searches-page').textContent === '3–3 of 3'")
    assert _rows(browser) == 1
    assert browser.evaluate("document.getElementById('searches-next').disabled") is True
    text = str(browser.evaluate("document.querySelector('#searches-table tbody').textContent"))
    assert ids[0][:8] in text and "8AUD001" in text and "exact" in text
    # the offense filter and the decision column
    browser.evaluate(
        "(() => { const f = document.getElementById('export-filters');"
        " f.case.value = ''; f.offense.value = '23H';"
        " f.limit.value = '50'; f.requestSubmit(); })()")
    browser.wait_for("document.getElementById('searches-page').textContent.endsWith(' of 1')")
    text = str(browser.evaluate("document.querySelector('#searches-table tbody').textContent"))
    assert "area" in text and "released" in text and ids[3][:8] in text
    browser.evaluate(
        "(() => { const f = document.getElementById('export-filters');"
        " f.offense.value = ''; f.requestSubmit(); })()")
    browser.wait_for("!document.getElementById('searches-status').classList.contains('busy')"
                     " && document.querySelectorAll('#searches-table tbody tr').length >= 5")
    browser.evaluate("document.getElementById('h-searches').scrollIntoView()")
    SCREENS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(SCREENS / "audit.png")


def test_an_investigator_sees_no_searches_section(
    web_server: WebServer, browser: Browser
) -> None:
    _sign_in(browser, web_server, "ucpd.investigator")
    browser.goto(f"{web_server.url}/audit")
    browser.wait_for("document.getElementById('view-note').textContent")
    assert browser.evaluate("document.getElementById('searches').hidden") is True
    assert _rows(browser) == 0
