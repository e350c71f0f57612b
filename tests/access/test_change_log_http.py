"""The change log over HTTP: an auditor answers "who turned this sharing on, and when"
from ``GET /v1/audit/entries`` alone; hot-list and hold changes made over the API are in
the log with their values before and after; a change whose entry cannot be written
answers 503 and is not made."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.conftest import (  # noqa: F401  (fixtures used by name)
    Seed,
    client,
    code,
    login,
    seed,
    settings,
)


def _entries(app: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every entry the reader's agency is served in full, by ``GET /v1/audit/entries``."""
    found: list[dict[str, Any]] = []
    start = 0
    while True:
        page = app.get("/v1/audit/entries", headers=headers,
                          params={"start": start, "limit": 1000, "full": 1})
        assert page.status_code == 200, page.text
        items = page.json()["entries"]
        found += [item["entry"] for item in items if item["view"] == "full"]
        start += len(items)
        if not items or start >= page.json()["size"]:
            return found


def _break_log(app: TestClient) -> None:
    engine = app.app.state.catalog.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_entries"))


def test_an_auditor_answers_who_turned_this_sharing_on_and_when(
    client: TestClient, seed: Seed  # noqa: F811
) -> None:
    admin = login(client, "ucpd-admin")
    created = client.post("/v1/admin/agreements", headers=admin, json={
        "recipient": "fpd", "actions": ["search_exact"], "purposes": ["stolen_vehicle"],
        "max_lookback_days": 30})
    assert created.status_code == 201, created.text
    agreement_id = created.json()["id"]
    assert client.delete(f"/v1/admin/agreements/{agreement_id}", headers=admin
                         ).status_code == 204

    auditor = login(client, "audrey", code(seed.auditor_totp))
    sharing = [e for e in _entries(client, auditor)
               if e["type"] == "agreement_change" and e["partner_agency"] == "fpd"]
    turned_on, turned_off = sharing
    # who, when, with whom, on what terms — and when it ended
    assert (turned_on["user"], turned_on["change"], turned_on["owner_agency"]) == (
        "ucpd-admin", "add", "ucpd")
    assert (turned_on["object"], turned_on["object_id"]) == ("agreement", str(agreement_id))
    assert turned_on["time"] and turned_on["before"] is None
    assert turned_on["after"]["actions"] == ["search_exact"]
    assert turned_on["after"]["max_lookback_days"] == 30
    assert (turned_off["user"], turned_off["change"]) == ("ucpd-admin", "revoke")
    assert turned_off["before"] == {"revoked_at": None}
    assert turned_off["after"]["revoked_at"] and turned_off["time"] >= turned_on["time"]


def test_hotlist_entry_changes_over_the_api_are_logged_with_before_and_after(
    client: TestClient, seed: Seed  # noqa: F811
) -> None:
    admin = login(client, "ucpd-admin")
    imported = client.post("/v1/hotlists", headers=admin, json={
        "name": "stolen", "category": "stolen_vehicle",
        "entries": [{"plate": "7ABC123", "region": "CA"}]})
    assert imported.status_code == 201, imported.text
    list_id = imported.json()["list_id"]
    added = client.post(f"/v1/hotlists/{list_id}/entries", headers=admin,
                        json={"plate": "8xyz-999", "region": "CA", "reason": "stolen 5/2"})
    assert added.status_code == 201, added.text
    entry_id = added.json()["id"]
    assert added.json()["plate"] == "8XYZ999"
    expired = client.post(f"/v1/hotlists/{list_id}/entries/{entry_id}/expire", headers=admin,
                          json={"at": "2030-01-01T00:00:00Z"})
    assert expired.status_code == 200, expired.text
    assert client.delete(f"/v1/hotlists/{list_id}/entries/{entry_id}",
                         headers=admin).status_code == 204
    assert client.delete(f"/v1/hotlists/{list_id}/entries/{entry_id}",
                         headers=admin).status_code == 404

    auditor = login(client, "audrey", code(seed.auditor_totp))
    changes = [e for e in _entries(client, auditor)
               if e["type"] in ("hotlist_change", "hotlist_entry_change")]
    assert [(e["object"], e["change"]) for e in changes] == [
        ("hotlist", "add"), ("hotlist_entry", "add"), ("hotlist_entry", "expire"),
        ("hotlist_entry", "remove")]
    assert all(e["user"] == "ucpd-admin" and e["agency"] == "ucpd" for e in changes)
    assert changes[1]["after"]["plate"] == "8XYZ999"
    assert changes[2]["before"] == {"expires_at": None}
    assert changes[2]["after"] == {"expires_at": "2030-01-01T00:00:00Z"}
    assert changes[3]["before"]["reason"] == "stolen 5/2" and changes[3]["after"] is None
    # the listed plate and its reason are the list's agency's: never in the public summary
    public = client.get("/v1/audit/entries", params={"limit": 1000}).json()["entries"]
    summaries = [e["summary"] for e in public if e["summary"]["type"] == "hotlist_entry_change"]
    assert len(summaries) == 3
    assert "8XYZ999" not in str(public) and "stolen 5/2" not in str(public)


def test_a_change_the_log_cannot_record_answers_503_and_is_not_made(
    client: TestClient, seed: Seed  # noqa: F811
) -> None:
    admin = login(client, "ucpd-admin")
    imported = client.post("/v1/hotlists", headers=admin, json={
        "name": "stolen", "category": "stolen_vehicle",
        "entries": [{"plate": "7ABC123", "region": "CA"}]})
    list_id = imported.json()["list_id"]
    _break_log(client)

    attempts = [
        client.post(f"/v1/hotlists/{list_id}/entries", headers=admin, json={"plate": "1AAA111"}),
        client.delete(f"/v1/hotlists/{list_id}", headers=admin),
        client.post("/v1/hotlists", headers=admin, json={
            "name": "other", "category": "warrant", "entries": [{"plate": "2BBB222"}]}),
        client.post("/v1/retention/holds", headers=admin, json={
            "case_number": "26-1", "reason": "order", "expires_at": "2099-01-01T00:00:00Z",
            "plates": ["7ABC123"]}),
        client.post("/v1/admin/agreements", headers=admin, json={
            "recipient": "fpd", "actions": ["search"], "purposes": ["stolen_vehicle"]}),
    ]
    assert [a.status_code for a in attempts] == [503] * len(attempts)
    lists = client.get("/v1/hotlists", headers=admin).json()
    assert [(h["name"], h["entry_count"]) for h in lists] == [("stolen", 1)]
    catalog = client.app.state.catalog  # type: ignore[attr-defined]
    assert catalog.agreements() == []
    holds = client.app.state.retention.holds  # type: ignore[attr-defined]
    assert holds.list() == []


def test_a_retention_setting_is_changed_with_its_before_and_after(
    client: TestClient, seed: Seed  # noqa: F811
) -> None:
    admin = login(client, "ucpd-admin")
    changed = client.patch("/v1/admin/agency", headers=admin,
                           json={"retention_nonhit_days": 30, "retention_image_days": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["retention_nonhit_days"] == 30
    clocks = client.get("/v1/retention/policies", headers=admin).json()["policies"]
    assert clocks[str(seed.ucpd_id)]["non_hit_s"] == 30 * 86400

    auditor = login(client, "audrey", code(seed.auditor_totp))
    [entry] = [e for e in _entries(client, auditor) if e.get("change") == "agency_settings"]
    assert (entry["user"], entry["object"], entry["object_id"]) == ("ucpd-admin", "agency",
                                                                    "ucpd")
    assert entry["before"] == {"retention_image_days": None, "retention_nonhit_days": 60}
    assert entry["after"] == {"retention_image_days": None, "retention_nonhit_days": 30}
    refused = client.patch("/v1/admin/agency", headers=admin, json={"retention_hit_days": -1})
    assert refused.status_code == 422


def test_a_role_change_is_logged_and_ends_the_users_sessions(
    client: TestClient, seed: Seed  # noqa: F811
) -> None:
    admin = login(client, "ucpd-admin")
    ivy = login(client, "ivy", code(seed.investigator_totp))
    changed = client.put("/v1/admin/users/ivy/roles", headers=admin,
                         json={"roles": ["supervisor", "investigator"]})
    assert changed.status_code == 200, changed.text
    assert sorted(changed.json()["roles"]) == ["investigator", "supervisor"]
    assert client.get("/v1/hotlists", headers=ivy).status_code == 401  # logged out
    own = client.put("/v1/admin/users/ucpd-admin/roles", headers=admin,
                     json={"roles": ["auditor"]})
    assert own.status_code == 422
    other = client.put("/v1/admin/users/fpd-admin/roles", headers=admin,
                       json={"roles": ["auditor"]})
    assert other.status_code == 404

    auditor = login(client, "audrey", code(seed.auditor_totp))
    [entry] = [e for e in _entries(client, auditor) if e.get("change") == "roles"]
    assert (entry["user"], entry["object_id"]) == ("ucpd-admin", "ivy")
    assert entry["before"] == {"roles": ["investigator"]}
    assert entry["after"] == {"roles": ["investigator", "supervisor"]}
