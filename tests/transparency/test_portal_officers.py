"""An agency's public page names its officers only when the agency turns that on, and then
only for its own users' searches; the setting and the report time zone are changed by the
agency's admin over the API, each change logged with its before and after."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from plateledger.audit import AuditLog, new_entry
from tests.api.conftest import Seed, login
from tests.transparency.test_portal_http import _search

FRANK = "frank.fremont"


def _log(client: TestClient) -> AuditLog:
    log: AuditLog = client.app.state.audit_log  # type: ignore[attr-defined]
    return log


def _everything(client: TestClient, slug: str) -> str:
    """Every public text of ``slug``'s portal: the page, the JSON, each figure as CSV."""
    body = client.get(f"/v1/transparency/agencies/{slug}")
    assert body.status_code == 200, body.text
    texts = [body.text, client.get(f"/transparency/{slug}").text]
    for name in body.json()["figures"]:
        texts.append(
            client.get(
                f"/v1/transparency/agencies/{slug}/figures/{name}", params={"format": "csv"}
            ).text
        )
    return "\n".join(texts)


def _frank_searches(client: TestClient) -> None:
    """A Fremont officer's searches: of Fremont's data, and of Union City's."""
    for owners in (["fpd"], ["ucpd"]):
        _log(client).append(
            new_entry(
                "search",
                agency="fpd",
                requested_by_agency="fpd",
                user=FRANK,
                purpose="homicide",
                owners_allowed=owners,
                owners_denied=[],
                result_count=3,
            )
        )


def _last(client: TestClient) -> dict[str, Any]:
    log = _log(client)
    return log.entry(log.size() - 1).entry


def test_names_appear_only_when_the_agency_turns_them_on(
    client: TestClient,
    seed: Seed,
) -> None:
    _search(client, seed)
    _frank_searches(client)
    for slug in ("ucpd", "fpd"):
        text = _everything(client, slug)
        assert "ivy" not in text and FRANK not in text, slug
    assert client.get("/v1/transparency/agencies/ucpd").json()["officer_names"] == "not shown"

    admin = login(client, "ucpd-admin")
    on = client.patch("/v1/admin/agency", headers=admin, json={"portal_officer_names": True})
    assert on.status_code == 200, on.text
    assert on.json()["portal_officer_names"] is True
    entry = _last(client)
    assert (entry["change"], entry["object_id"]) == ("agency_settings", "ucpd")
    assert (entry["before"], entry["after"]) == (
        {"portal_officer_names": False},
        {"portal_officer_names": True},
    )

    body = client.get("/v1/transparency/agencies/ucpd").json()
    assert body["figures"]["searches_by_officer"]["rows"] == [["ivy", 1, 0]]
    assert body["officer_names"].startswith("shown")
    ucpd = _everything(client, "ucpd")
    assert "ivy" in ucpd and FRANK not in ucpd  # Fremont's officer searched ucpd's data
    fremont = _everything(client, "fpd")
    assert FRANK not in fremont and "ivy" not in fremont  # Fremont did not turn it on
    assert (
        "searches_by_officer" not in client.get("/v1/transparency/agencies/fpd").json()["figures"]
    )
    csv_text = client.get(
        "/v1/transparency/agencies/ucpd/figures/searches_by_officer", params={"format": "csv"}
    ).text
    assert csv_text.splitlines() == ["officer,searches,reads_matched", "ivy,1,0"]

    off = client.patch("/v1/admin/agency", headers=admin, json={"portal_officer_names": False})
    assert off.status_code == 200
    assert "ivy" not in _everything(client, "ucpd")
    size = _log(client).size()
    refused = client.patch("/v1/admin/agency", headers=admin, json={"portal_officer_names": None})
    assert refused.status_code == 422
    assert _log(client).size() == size


def test_the_report_time_zone_is_set_by_the_agencys_admin(
    client: TestClient,
    seed: Seed,
) -> None:
    admin = login(client, "ucpd-admin")
    report = client.get("/v1/reports/va-annual", params={"agency": "ucpd"}).json()
    assert report["period"]["timezone"] == "America/Los_Angeles"  # California's
    size = _log(client).size()
    for bad in ("Mars/Olympus", "../../etc/passwd", "localtime", ""):
        refused = client.patch("/v1/admin/agency", headers=admin, json={"timezone": bad})
        assert refused.status_code == 422, bad
    assert _log(client).size() == size
    changed = client.patch("/v1/admin/agency", headers=admin, json={"timezone": "America/Denver"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["timezone"] == "America/Denver"
    entry = _last(client)
    assert (entry["before"], entry["after"]) == ({"timezone": None}, {"timezone": "America/Denver"})
    assert entry["user"] == "ucpd-admin"
    report = client.get("/v1/reports/va-annual", params={"agency": "ucpd"}).json()
    assert report["period"]["timezone"] == "America/Denver"
    listing = client.get("/reports").text
    assert 'Union City PD</a> <small class="zone">(America/Denver)</small>' in listing
    assert 'Fremont PD</a> <small class="zone">(America/Los_Angeles)</small>' in listing
    fpd = client.get("/v1/reports/va-annual", params={"agency": "fpd"}).json()
    assert fpd["period"]["timezone"] == "America/Los_Angeles"
    cleared = client.patch("/v1/admin/agency", headers=admin, json={"timezone": None})
    assert cleared.status_code == 200 and cleared.json()["timezone"] is None
    assert client.get("/v1/admin/agency", headers=admin).json()["timezone"] is None
