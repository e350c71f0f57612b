"""Who may act at all, as an attacker would try it over HTTP: every role's searches and
exports are decided by the role pack, acting-for users are of their agency's class, and
agreements are decided as dry runs — every denial names its rule."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login

SEARCH = {"kind": "exact", "params": {"plate": "7ABC123"}, "purpose": "homicide",
          "offense_type": "09A",
          "case_number": "25-1", "reason": "white sedan seen leaving the shooting"}


def _add_user(settings: Settings, agency_id: int, username: str, roles: list[str]) -> str:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        secret = new_totp_secret()
        catalog.add_user(agency_id, username, PASSWORD, roles, totp_secret=secret)
        return secret
    finally:
        catalog.close()


def _outcome(body: dict[str, Any], owner_id: int) -> dict[str, Any]:
    found: list[dict[str, Any]] = [o for o in body["owners"] if o["owner_id"] == owner_id]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("username", "roles", "kind", "rule"),
    [
        ("admin2", ["admin"], "exact", "role-search"),
        ("audrey", ["auditor"], "fuzzy", "role-search"),
        ("dana", ["dispatcher"], "wildcard", "role-search"),
        ("dana", ["dispatcher"], "area", "role-search"),
    ],
)
def test_a_role_that_may_not_search_is_denied_by_the_role_pack(
    client: TestClient, settings: Settings, seed: Seed, username: str, roles: list[str],
    kind: str, rule: str,
) -> None:
    secret = seed.auditor_totp if username == "audrey" else _add_user(
        settings, seed.ucpd_id, username, roles)
    headers = login(client, username, code(secret))
    params: dict[str, Any] = {"plate": "7AB*"} if kind == "wildcard" else {"plate": "7ABC123"}
    if kind == "area":
        params = {"bbox": {"south": 37.5, "west": -122.1, "north": 37.6, "east": -122.0},
                  "since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"}
    response = client.post("/v1/searches", headers=headers,
                           json={**SEARCH, "kind": kind, "params": params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["results"] == []
    for owner in (seed.ucpd_id, seed.fpd_id):
        outcome = _outcome(body, owner)
        assert not outcome["allowed"]
        assert rule in outcome["policy_ids"]
        assert any(r.startswith(f"{rule}: ") for r in outcome["reasons"])


def test_a_dispatcher_may_confirm_a_hit_with_an_exact_lookup(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    secret = _add_user(settings, seed.ucpd_id, "dana", ["dispatcher"])
    headers = login(client, "dana", code(secret))
    body = client.post("/v1/searches", headers=headers, json=SEARCH).json()
    assert _outcome(body, seed.ucpd_id)["allowed"]


def test_an_auditor_may_not_export(client: TestClient, seed: Seed) -> None:
    headers = login(client, "audrey", code(seed.auditor_totp))
    response = client.post("/v1/exports", headers=headers, json={**SEARCH, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["x-exported-count"] == "0"
    assert "role-export" in response.headers["x-owners-denied"]


def test_an_admin_sees_the_role_rule_in_a_policy_explanation(
    client: TestClient, seed: Seed
) -> None:
    admin = login(client, "ucpd-admin")
    response = client.post("/v1/policy/explain", headers=admin, json={
        "action": "search_exact", "purpose": "homicide", "case_number": "25-1",
        "owners": [seed.ucpd_id],
    })
    assert response.status_code == 200, response.text
    [owner] = response.json()["owners"]
    assert not owner["allowed"]
    assert owner["policy_ids"] == ["role-search"]


def test_a_task_force_officer_with_a_local_login_is_denied_california_data_as_federal(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.add_agency("FBI San Francisco", "fbi-sf", "federal", "CA")
    finally:
        catalog.close()
    secret = _add_user(settings, seed.ucpd_id, "tfo", ["investigator"])
    admin = login(client, "ucpd-admin")
    response = client.put("/v1/admin/users/tfo/acting-for", headers=admin,
                          json={"agency": "fbi-sf"})
    assert response.status_code == 200, response.text
    assert response.json()["acting_for_agency_id"] is not None
    headers = login(client, "tfo", code(secret))
    body = client.post("/v1/searches", headers=headers, json=SEARCH).json()
    own = _outcome(body, seed.ucpd_id)
    assert not own["allowed"]
    assert "ca-civ-1798.90.55b-no-federal" in own["policy_ids"]
    laundered = client.post("/v1/searches", headers=headers,
                            json={**SEARCH, "requested_by": "ucpd"})
    assert laundered.status_code == 422
    assert laundered.json()["error"]["code"] == "acting_for"


def test_a_request_cannot_set_acting_for(client: TestClient, seed: Seed) -> None:
    headers = login(client, "ivy", code(seed.investigator_totp))
    response = client.post("/v1/searches", headers=headers, json={**SEARCH, "acting_for": 1})
    assert response.status_code == 422


def test_an_exact_only_agreement_lets_the_partner_look_up_but_not_search_an_area(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    secret = _add_user(settings, seed.fpd_id, "finn", ["investigator"])
    admin = login(client, "ucpd-admin")
    created = client.post("/v1/admin/agreements", headers=admin, json={
        "recipient": "fpd", "actions": ["search_exact"], "purposes": ["homicide"],
    })
    assert created.status_code == 201, created.text
    agreement = created.json()
    assert [d["action"] for d in agreement["dry_run"]] == ["search_exact"]
    assert agreement["warnings"] == []
    headers = login(client, "finn", code(secret))
    exact = client.post("/v1/searches", headers=headers, json=SEARCH).json()
    assert _outcome(exact, seed.ucpd_id)["policy_ids"] == [f"agreement-{agreement['id']}"]
    wildcard = client.post("/v1/searches", headers=headers, json={
        **SEARCH, "kind": "wildcard", "params": {"plate": "7AB*"}}).json()
    outcome = _outcome(wildcard, seed.ucpd_id)
    assert not outcome["allowed"]
    assert outcome["policy_ids"] == [f"agreement-{agreement['id']}-action-not-granted"]


def test_an_agreement_the_packs_always_deny_is_refused_at_creation_unless_forced(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.add_agency("Federal unit", "ice-ero", "federal", "DC")
    finally:
        catalog.close()
    admin = login(client, "ucpd-admin")
    body = {"recipient": "ice-ero", "actions": ["search"], "purposes": ["homicide"]}
    refused = client.post("/v1/admin/agreements", headers=admin, json=body)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "always_denied"
    assert "ca-civ-1798.90.55b-no-federal" in refused.text
    assert client.get("/v1/admin/agreements", headers=admin).json() == []
    forced = client.post("/v1/admin/agreements", headers=admin, json={**body, "force": True})
    assert forced.status_code == 201
    assert all(d["always_denied"] for d in forced.json()["dry_run"])
    assert forced.json()["warnings"]


def test_an_admin_changes_the_agency_settings_and_the_next_search_obeys(
    client: TestClient, seed: Seed
) -> None:
    admin = login(client, "ucpd-admin")
    response = client.patch("/v1/admin/agency", headers=admin,
                            json={"case_number_required": True, "purposes": ["homicide"]})
    assert response.status_code == 200, response.text
    assert response.json()["purposes"] == ["homicide"]
    entries = client.get("/v1/audit/entries", headers=login(
        client, "audrey", code(seed.auditor_totp)))
    assert [e["summary"]["type"] for e in entries.json()["entries"]] == ["policy_change"]
    headers = login(client, "ivy", code(seed.investigator_totp))
    body = client.post("/v1/searches", headers=headers,
                       json={**SEARCH, "case_number": None}).json()
    assert _outcome(body, seed.ucpd_id)["policy_ids"] == ["owner-case-number-required"]


@pytest.mark.parametrize("field", ["kind", "home_state", "law_packs", "is_law_enforcement"])
def test_an_admin_cannot_change_the_agency_class_or_packs(
    client: TestClient, field: str
) -> None:
    admin = login(client, "ucpd-admin")
    value: Any = {"kind": "state", "home_state": "NV", "law_packs": [],
                  "is_law_enforcement": False}[field]
    response = client.patch("/v1/admin/agency", headers=admin, json={field: value})
    assert response.status_code == 422


def test_declarations_are_listed_and_revoked_by_their_agency_only(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    from datetime import UTC, datetime
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        declaration = catalog.add_declaration(seed.ucpd_id, "IL", signer="Chief",
                                              signed_at=datetime.now(UTC),
                                              document_digest="0" * 64)
    finally:
        catalog.close()
    admin, other = login(client, "ucpd-admin"), login(client, "fpd-admin")
    listed = client.get("/v1/admin/declarations", headers=admin).json()
    assert [d["id"] for d in listed] == [declaration.id]
    assert client.get("/v1/admin/declarations", headers=other).json() == []
    path = f"/v1/admin/declarations/{declaration.id}"
    assert client.delete(path, headers=other).status_code == 404
    assert client.delete(path, headers=admin).status_code == 204
    [revoked] = client.get("/v1/admin/declarations", headers=admin).json()
    assert revoked["revoked_at"] is not None
    assert client.delete(path, headers=admin).status_code == 422
