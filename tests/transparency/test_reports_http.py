"""Statutory reports on demand over HTTP: JSON, CSV and HTML, a chosen period or the last
whole one, and a clear 4xx for what is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from plateledger.transparency.reports import Period
from tests.api.conftest import Seed
from tests.transparency.test_portal_http import _search


def test_a_report_counts_the_search_just_made(client: TestClient, seed: Seed) -> None:
    _search(client, seed)
    # ucpd keeps no time zone of its own: its days are California's
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat()
    params = {"agency": "ucpd", "start": today, "end": today}
    body = client.get("/v1/reports/ca-policy", params=params).json()
    assert body["statute"].startswith("Cal. Civ. Code 1798.90.51")
    log = {e["key"]: e for e in body["elements"]}
    assert log["access_log"]["value"] == 1
    assert log["access_log"]["figure"]["rows"] == [["stolen_vehicle", 1]]
    csv_text = client.get("/v1/reports/ca-policy", params=params | {"format": "csv"}).text
    assert "Cal. Civ. Code 1798.90.52" in csv_text
    page = client.get("/v1/reports/ca-policy", params=params | {"format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "7TRN555" not in page.text and "ivy" not in page.text
    pdf = client.get("/v1/reports/ca-policy", params=params | {"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert b"Cal. Civ. Code 1798.90.52" in pdf.content
    assert b"7TRN555" not in pdf.content and b"ivy" not in pdf.content


def test_the_default_period_is_the_last_whole_one(client: TestClient) -> None:
    body = client.get("/v1/reports/or-monthly", params={"agency": "ucpd"}).json()
    start = datetime.fromisoformat(body["period"]["start"]).date()
    assert start.day == 1 and start < datetime.now(UTC).date()
    assert body["period"]["timezone"] == "America/Los_Angeles"


def test_listing_names_each_agencys_reports(client: TestClient) -> None:
    body = client.get("/v1/reports").json()
    assert body["agencies"]["ucpd"] == ["ca-policy"]
    assert {r["code"] for r in body["reports"]} >= {"va-annual", "nh-annual", "vt-annual"}


def test_bad_requests_name_what_is_wrong(client: TestClient) -> None:
    def code(path: str, **params: str) -> tuple[int, str]:
        r = client.get(path, params=params)
        return r.status_code, r.json().get("error", {}).get("code", "")

    assert code("/v1/reports/xx-none", agency="ucpd") == (404, "unknown_report")
    assert code("/v1/reports/va-annual", agency="nobody") == (404, "unknown_agency")
    assert code("/v1/reports/va-annual", agency="ucpd", start="2026-02-01") \
        == (422, "period_incomplete")
    assert code("/v1/reports/va-annual", agency="ucpd", start="2026-02-01",
                end="2026-01-01") == (422, "period_reversed")
    assert client.get("/v1/reports/va-annual", params={"agency": "ucpd",
                                                        "start": "soon"}).status_code == 422
    assert client.get("/v1/reports/va-annual").status_code == 422


def test_a_report_on_demand_reads_the_store(client: TestClient, seed: Seed) -> None:
    body = client.get("/v1/reports/mn-audit", params={"agency": "ucpd"}).json()
    elements = {e["key"]: e for e in body["elements"]}
    assert elements["plates_collected"]["source"] == "read store"
    # the session's one store may hold other tests' reads: count ucpd's own directly
    start, end = (date.fromisoformat(body["period"][k]) for k in ("start", "end"))
    since, until = Period(start, end).bounds(body["period"]["timezone"])
    store = client.app.state.store  # type: ignore[attr-defined]
    plates = store.query(
        "SELECT uniqExact(plate) AS n FROM {db}.reads WHERE owner_id = {o:UInt32} "
        "AND ts >= {s:DateTime64(3, 'UTC')} AND ts < {u:DateTime64(3, 'UTC')}",
        {"o": seed.ucpd_id, "s": since, "u": until}).column("n")[0].as_py()
    assert elements["plates_collected"]["value"] == plates
    nh = client.get("/v1/reports/nh-annual", params={"agency": "ucpd", "format": "csv"}).text
    assert "matches_per_device" in nh and "hit records" in nh
