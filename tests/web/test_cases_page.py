"""The cases pages in headless Chromium, at 1366×768: an investigator's case lists the
agency's searches under its number (never another agency's under the same number), with a
"Report (PDF)" link that downloads the report with the user's token; another agency's
investigator is told the case is not theirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.web.harness import Browser, WebServer

SCREENS = Path(__file__).parents[2] / "docs" / "screens"
CASE = "UC-2026-0905"
WINDOW = {"since": "2026-01-01T00:00:00Z", "until": "2026-01-08T00:00:00Z"}
BASIS = {"kind": "warrant", "number": "26-SW-0311", "court": "Alameda County Superior Court"}


def _post(server: WebServer, username: str, path: str, body: dict[str, Any]) -> Any:
    response = httpx.post(f"{server.url}{path}", json=body, timeout=60, headers={
        "Authorization": f"Bearer {server.token(username)}"})
    assert response.status_code in (200, 201), response.text
    return response.json()


def _open(server: WebServer) -> None:
    """Union City's investigator opens the case (once per server)."""
    response = httpx.post(f"{server.url}/v1/cases", timeout=60, json={
        "number": CASE, "title": "Silver pickup, harbor lot"},
        headers={"Authorization": f"Bearer {server.token('ucpd.investigator')}"})
    assert response.status_code in (201, 409), response.text


def _searches(server: WebServer, username: str) -> list[str]:
    ask = {"purpose": "stolen_vehicle", "case_number": CASE, "offense_type": "240",
           "reason": "silver pickup taken from the harbor lot"}
    bodies = [
        {"kind": "exact", "params": {"plate": "8CAS905", **WINDOW}},
        {"kind": "wildcard", "params": {"plate": "8CAS9*", **WINDOW}},
        {"kind": "timeline", "params": {"plate": "8CAS905", **WINDOW}},
        {"kind": "locate", "params": {"plate": "8CAS905", **WINDOW}, "legal_basis": BASIS},
    ]
    return [str(_post(server, username, "/v1/searches", {**b, **ask})["search_id"])
            for b in bodies]


def _signed_in(browser: Browser, server: WebServer, username: str, path: str) -> None:
    browser.send("Emulation.setDeviceMetricsOverride", {
        "width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False}, session=True)
    token = server.token(username)
    browser.goto(f"{server.url}/login")
    browser.evaluate(f"sessionStorage.setItem('plateledger.token', {json.dumps(token)})")
    browser.goto(f"{server.url}{path}")


def test_a_case_page_lists_the_agencys_searches_and_downloads_the_report(
    web_server: WebServer, browser: Browser
) -> None:
    _open(web_server)
    ours = _searches(web_server, "ucpd.investigator")
    theirs = _searches(web_server, "fpd.investigator")[0]  # same number, another agency

    _signed_in(browser, web_server, "ucpd.investigator", "/cases")
    browser.wait_for("!document.getElementById('cases').hidden")
    assert CASE in str(browser.evaluate("document.querySelector('#cases-table').textContent"))
    SCREENS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(SCREENS / "cases.png")

    browser.goto(f"{web_server.url}/cases/{CASE}")
    browser.wait_for("!document.getElementById('case').hidden")
    rows = browser.evaluate(
        "[...document.querySelectorAll('#case-searches tbody tr')].map(r => r.dataset.searchId)")
    assert rows == ours and theirs not in rows
    text = str(browser.evaluate("document.getElementById('case-searches').textContent"))
    assert "warrant 26-SW-0311 (Alameda County Superior Court)" in text
    assert "none recorded" in text
    link = browser.evaluate("document.getElementById('report-pdf')")
    assert link is not None
    assert str(browser.evaluate("document.getElementById('report-pdf').textContent")) \
        == "Report (PDF)"
    assert str(browser.evaluate("document.getElementById('report-pdf').href")).endswith(
        f"/v1/cases/{CASE}/report?format=pdf")
    browser.evaluate("document.getElementById('report-pdf').click()")
    browser.wait_for("document.getElementById('case-status').textContent"
                     ".startsWith('Report downloaded; it is audit entry ')")
    index = int(str(browser.evaluate(
        "document.getElementById('case-status').textContent")).split()[-1].rstrip("."))
    entry = httpx.get(f"{web_server.url}/v1/audit/entries/{index}", timeout=30).json()
    assert entry["summary"]["type"] == "case_report"
    browser.evaluate("document.getElementById('case-status').hidden = true")
    browser.screenshot(SCREENS / "case.png")


def test_another_agencys_investigator_is_told_the_case_is_not_theirs(
    web_server: WebServer, browser: Browser
) -> None:
    _open(web_server)
    _signed_in(browser, web_server, "hpd.investigator", f"/cases/{CASE}")
    browser.wait_for("document.getElementById('case-status').textContent"
                     ".startsWith('The case could not be loaded')")
    assert "has no case" in str(browser.evaluate(
        "document.getElementById('case-status').textContent"))
    assert browser.evaluate("document.getElementById('case').hidden") is True
