"""Each agency's public portal page, the reports page and the supervisors' page, in
headless Chromium over a running server: the portal reads without JavaScript, its charts
are SVG drawn by the server, and nothing is fetched from elsewhere."""

from __future__ import annotations

import json
import re

import httpx

from tests.web.conftest import DumpDom
from tests.web.harness import Browser, WebServer


def test_an_agency_portal_shows_every_field_from_live_data(
    web_server: WebServer, dump_dom: DumpDom
) -> None:
    api = httpx.get(f"{web_server.url}/v1/transparency/agencies/ucpd", timeout=60).json()
    dom = dump_dom(f"{web_server.url}/transparency/ucpd")
    assert '<h1 id="portal-name">Union City PD</h1>' in dom
    for field in ("f-cameras", "f-detected", "f-searches", "f-hits", "f-ratio", "f-alerts",
                  "f-withheld", "f-decided", "detected", "not-detected", "acceptable",
                  "access-policy", "retention", "with-access", "portal-checkpoint",
                  "fig-partners", "fig-searches_by_offense", "fig-hotlist_sources"):
        assert f'id="{field}"' in dom, field
    assert f'<dd id="f-cameras">{api["cameras_owned"]}</dd>' in dom
    assert f'<dd id="f-searches">{api["searches"]}</dd>' in dom
    assert dom.count("<svg") == 3 and 'role="img"' in dom
    assert "ca-civ-1798.90.55b-no-federal" in dom
    assert "plateledger audit verify" in dom


def test_the_transparency_page_links_each_portal_and_the_reports(
    web_server: WebServer, dump_dom: DumpDom
) -> None:
    dom = dump_dom(f"{web_server.url}/transparency")
    assert 'href="/transparency/ucpd"' in dom and 'href="/reports"' in dom
    reports = dump_dom(f"{web_server.url}/reports")
    assert "Cal. Civ. Code 1798.90.51" in reports
    assert re.search(r'href="/v1/reports/ca-policy\?agency=ucpd&amp;format=html"', reports)
    page = httpx.get(f"{web_server.url}/v1/reports/ca-policy",
                     params={"agency": "ucpd", "format": "html"}, timeout=60)
    assert page.status_code == 200 and "1798.90.51(b) / 1798.90.53(b)(2)(A)" in page.text


def test_an_unknown_agency_is_a_404_page(web_server: WebServer) -> None:
    response = httpx.get(f"{web_server.url}/transparency/nobody", timeout=60)
    assert response.status_code == 404
    assert "no agency `nobody`" in response.text


def test_a_supervisor_sees_operators_and_draws_a_sample(
    web_server: WebServer, browser: Browser
) -> None:
    token = web_server.token("ucpd.supervisor")
    browser.goto(f"{web_server.url}/login")
    browser.evaluate(f"sessionStorage.setItem('plateledger.token', {json.dumps(token)})")
    browser.goto(f"{web_server.url}/supervision")
    status = browser.wait_for(
        "document.getElementById('sup-status').textContent.startsWith('Agency')"
        " && document.getElementById('sup-status').textContent")
    assert "Agency ucpd" in status
    browser.evaluate("document.getElementById('draw-form').requestSubmit()")
    drawn = browser.wait_for(
        "document.getElementById('sup-status').textContent.startsWith('Sample')"
        " && document.getElementById('sup-status').textContent")
    assert re.match(r"Sample \d+: \d+ of \d+ searches\.", drawn)
