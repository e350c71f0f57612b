"""Agency administration over HTTP: admins manage their own agency and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login

CAMERA = {"camera_id": "ucpd-fx-012", "kind": "fixed", "lat": 37.59, "lon": -122.02}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/admin/agency"),
        ("GET", "/v1/admin/users"),
        ("GET", "/v1/admin/cameras"),
        ("GET", "/v1/admin/keys"),
        ("GET", "/v1/admin/agreements"),
        ("POST", "/v1/admin/keys"),
        ("DELETE", "/v1/admin/agreements/1"),
    ],
)
def test_admin_endpoints_need_a_token_and_the_admin_role(
    client: TestClient, seed: Seed, method: str, path: str
) -> None:
    assert client.request(method, path).status_code == 401
    auditor = login(client, "audrey", code(seed.auditor_totp))
    response = client.request(method, path, headers=auditor)
    assert response.status_code == 403
    assert "role-manage" in response.text
    assert "admin role" in response.text


def test_an_admin_sees_their_agency_settings_with_retention(
    client: TestClient, seed: Seed
) -> None:
    agency = client.get("/v1/admin/agency", headers=login(client, "ucpd-admin")).json()
    assert (agency["id"], agency["slug"], agency["kind"]) == (seed.ucpd_id, "ucpd", "municipal")
    assert agency["retention_nonhit_days"] == 60
    assert agency["law_packs"] == ["CA"]


def test_an_admin_lists_only_their_own_users(client: TestClient) -> None:
    users = client.get("/v1/admin/users", headers=login(client, "ucpd-admin")).json()
    assert sorted(u["username"] for u in users) == ["audrey", "ivy", "ucpd-admin"]
    assert all("password_hash" not in u and "totp_secret_encrypted" not in u for u in users)


def test_a_new_investigator_gets_a_totp_secret_once_and_joins_the_admins_agency(
    client: TestClient, seed: Seed
) -> None:
    admin = login(client, "ucpd-admin")
    response = client.post(
        "/v1/admin/users", headers=admin,
        json={"username": "ian", "password": PASSWORD, "roles": ["investigator"]},
    )
    assert response.status_code == 201
    created = response.json()
    assert created["totp_secret"] and created["totp_uri"].startswith("otpauth://totp/")
    listed = client.get("/v1/admin/users", headers=admin).json()
    assert "ian" in [u["username"] for u in listed]
    assert all("totp_secret" not in u for u in listed)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/admin/users", {"username": "x", "password": PASSWORD, "roles": ["admin"],
                             "agency_id": 2}),
        ("/v1/admin/users", {"username": "x", "password": PASSWORD, "roles": ["admin"],
                             "kind": "federal"}),
        ("/v1/admin/users", {"username": "x", "password": PASSWORD, "roles": ["superuser"]}),
        ("/v1/admin/cameras", {**CAMERA, "owner_id": 2}),
        ("/v1/admin/keys", {"label": "x", "agency_id": 2}),
        ("/v1/admin/agreements", {"recipient": "fpd", "actions": ["search"],
                                  "purposes": ["x"], "owner_id": 2}),
    ],
)
def test_no_request_can_name_an_agency_its_class_or_a_made_up_role(
    client: TestClient, settings: Settings, path: str, body: dict[str, Any]
) -> None:
    response = client.post(path, headers=login(client, "ucpd-admin"), json=body)
    assert response.status_code == 422
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        assert catalog.user_by_username("x") is None
        assert catalog.cameras() == []
        assert catalog.api_keys() == []
        assert catalog.agreements() == []
        assert [a.kind for a in catalog.agencies()] == ["municipal", "municipal"]
    finally:
        catalog.close()


def test_an_admin_cannot_manage_another_agencys_users(client: TestClient) -> None:
    fpd_admin = login(client, "fpd-admin")
    for action in ("unlock", "revoke-tokens"):
        response = client.post(f"/v1/admin/users/audrey/{action}", headers=fpd_admin)
        assert response.status_code == 404
    users = client.get("/v1/admin/users", headers=fpd_admin).json()
    assert [u["username"] for u in users] == ["fpd-admin"]


def test_cameras_are_added_to_the_admins_agency(client: TestClient, seed: Seed) -> None:
    admin = login(client, "ucpd-admin")
    created = client.post("/v1/admin/cameras", headers=admin, json=CAMERA)
    assert created.status_code == 201
    assert created.json()["owner_id"] == seed.ucpd_id
    assert client.post("/v1/admin/cameras", headers=admin, json=CAMERA).status_code == 409
    other = client.get("/v1/admin/cameras", headers=login(client, "fpd-admin")).json()
    assert other == []


def test_a_key_is_shown_once_works_and_stops_working_when_revoked(
    client: TestClient, seed: Seed
) -> None:
    admin = login(client, "ucpd-admin")
    created = client.post("/v1/admin/keys", headers=admin, json={"label": "agent 1"})
    assert created.status_code == 201
    raw, prefix = created.json()["key"], created.json()["prefix"]
    listed = client.get("/v1/admin/keys", headers=admin).json()
    assert [k["prefix"] for k in listed] == [prefix]
    assert all("key" not in k for k in listed)
    assert client.post("/v1/reads", headers={"X-API-Key": raw}, json=[]).status_code != 401
    assert client.delete(f"/v1/admin/keys/{prefix}", headers=admin).status_code == 204
    refused = client.post("/v1/reads", headers={"X-API-Key": raw}, json=[])
    assert refused.status_code == 401


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "plk_000000000000_nope"}])
def test_ingest_without_a_valid_key_is_401(client: TestClient, headers: dict[str, str]) -> None:
    assert client.post("/v1/reads", headers=headers, json=[]).status_code == 401


def test_an_admin_cannot_revoke_another_agencys_key(client: TestClient) -> None:
    created = client.post("/v1/admin/keys", headers=login(client, "ucpd-admin"), json={})
    prefix = created.json()["prefix"]
    response = client.delete(f"/v1/admin/keys/{prefix}", headers=login(client, "fpd-admin"))
    assert response.status_code == 404


def test_agreements_are_owned_by_the_admins_agency_and_revoked_only_by_it(
    client: TestClient, seed: Seed
) -> None:
    ucpd, fpd = login(client, "ucpd-admin"), login(client, "fpd-admin")
    created = client.post(
        "/v1/admin/agreements", headers=ucpd,
        json={"recipient": "fpd", "actions": ["search"], "purposes": ["stolen_vehicle"],
              "max_lookback_days": 30},
    )
    assert created.status_code == 201
    agreement = created.json()
    assert (agreement["owner_id"], agreement["recipient_id"]) == (seed.ucpd_id, seed.fpd_id)
    assert agreement["created_by"] == "ucpd-admin"
    assert client.get("/v1/admin/agreements", headers=fpd).json() == []
    path = f"/v1/admin/agreements/{agreement['id']}"
    assert client.delete(path, headers=fpd).status_code == 404
    assert client.delete(path, headers=ucpd).status_code == 204
    [listed] = client.get("/v1/admin/agreements", headers=ucpd).json()
    assert listed["revoked_at"] is not None


@pytest.mark.parametrize("actions", [["alert"], ["export"], ["search_exact", "export"]])
def test_an_agreement_sharing_images_without_search_is_refused(
    client: TestClient, actions: list[str]
) -> None:
    """Images go with the reads a partner may search; an alert-only partner learns read
    ids from its alerts and would open every image by id."""
    ucpd = login(client, "ucpd-admin")
    response = client.post("/v1/admin/agreements", headers=ucpd, json={
        "recipient": "fpd", "actions": actions, "purposes": ["stolen_vehicle"],
        "images_allowed": True})
    assert response.status_code == 422, response.text
    assert "needs `search`" in response.text
    assert client.get("/v1/admin/agreements", headers=ucpd).json() == []


@pytest.mark.parametrize("actions", [["view_image"], ["search", "view_image"],
                                     ["alert", "view_image"]])
def test_an_agreement_granting_view_image_without_sharing_images_is_refused(
    client: TestClient, actions: list[str]
) -> None:
    """`view_image` alone would open nothing (images are shared by `images_allowed`, with
    search): refused with what to do instead, rather than kept as a grant that does
    nothing."""
    ucpd = login(client, "ucpd-admin")
    response = client.post("/v1/admin/agreements", headers=ucpd, json={
        "recipient": "fpd", "actions": actions, "purposes": ["stolen_vehicle"]})
    assert response.status_code == 422, response.text
    assert "images_allowed" in response.json()["error"]["message"]
    assert client.get("/v1/admin/agreements", headers=ucpd).json() == []
    shared = client.post("/v1/admin/agreements", headers=ucpd, json={
        "recipient": "fpd", "actions": ["search", "view_image"],
        "purposes": ["stolen_vehicle"], "images_allowed": True})
    assert shared.status_code == 201, shared.text


def test_an_agreement_with_an_unknown_recipient_is_404(client: TestClient) -> None:
    response = client.post(
        "/v1/admin/agreements", headers=login(client, "ucpd-admin"),
        json={"recipient": "nowhere", "actions": ["search"], "purposes": ["x"]},
    )
    assert response.status_code == 404


def test_every_admin_change_is_in_the_audit_log(client: TestClient) -> None:
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    before = log.size()
    admin = login(client, "ucpd-admin")
    client.post("/v1/admin/cameras", headers=admin, json=CAMERA)
    client.post("/v1/admin/keys", headers=admin, json={"label": "a"})
    client.post("/v1/admin/users/audrey/unlock", headers=admin)
    assert log.size() == before + 3
    types = [log.entry(before + i).entry["type"] for i in range(3)]
    assert types == ["camera_change", "key_change", "user_change"]
    assert log.entry(before).entry["user"] == "ucpd-admin"


def test_an_agreement_change_logs_the_new_policy_set_hash(client: TestClient) -> None:
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    policy = client.app.state.policy  # type: ignore[attr-defined]
    admin = login(client, "ucpd-admin")
    old_hash = policy.engine().policy_hash
    created = client.post(
        "/v1/admin/agreements", headers=admin,
        json={"recipient": "fpd", "actions": ["search"], "purposes": ["stolen_vehicle"]},
    )
    assert created.status_code == 201, created.text
    entry = log.entry(log.size() - 1).entry
    assert entry["type"] == "agreement_change"
    assert entry["policy_set_hash"] == policy.engine().policy_hash != old_hash
