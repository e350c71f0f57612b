"""Collection zones over HTTP: an admin manages their own agency's zones only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Seed, code, login

SCHOOL = {"name": "Alvarado Elementary", "place": "school", "centre": [37.5934, -122.0439],
          "radius_m": 150}


def test_an_admin_adds_lists_and_revokes_a_zone(client: TestClient) -> None:
    admin = login(client, "ucpd-admin")
    created = client.post("/v1/admin/zones", json=SCHOOL, headers=admin)
    assert created.status_code == 201, created.text
    zone = created.json()
    assert zone["rule_id"] == f"agency-zone-{zone['id']}" and zone["revoked_at"] is None
    listed = client.get("/v1/admin/zones", headers=admin).json()
    assert [z["id"] for z in listed] == [zone["id"]]
    assert client.delete(f"/v1/admin/zones/{zone['id']}", headers=admin).status_code == 204
    [again] = client.get("/v1/admin/zones", headers=admin).json()
    assert again["revoked_at"] is not None


def test_another_agencys_admin_neither_sees_nor_revokes_the_zone(client: TestClient) -> None:
    zone = client.post("/v1/admin/zones", json=SCHOOL,
                       headers=login(client, "ucpd-admin")).json()
    other = login(client, "fpd-admin")
    assert client.get("/v1/admin/zones", headers=other).json() == []
    assert client.delete(f"/v1/admin/zones/{zone['id']}", headers=other).status_code == 404


def test_a_bad_zone_is_refused_and_a_non_admin_is_forbidden(
    client: TestClient, seed: Seed
) -> None:
    admin = login(client, "ucpd-admin")
    bad = client.post("/v1/admin/zones", json={**SCHOOL, "place": "mall"}, headers=admin)
    assert bad.status_code == 422 and "`mall`" in bad.text
    auditor = login(client, "audrey", code(seed.auditor_totp))
    assert client.get("/v1/admin/zones", headers=auditor).status_code == 403
    assert client.post("/v1/admin/zones", json=SCHOOL).status_code == 401


def test_a_camera_registered_inside_a_zone_is_refused_naming_the_rule(
    client: TestClient,
) -> None:
    admin = login(client, "ucpd-admin")
    zone = client.post("/v1/admin/zones", json=SCHOOL, headers=admin).json()
    camera = {"camera_id": "ucpd-fx-9", "kind": "fixed", "lat": 37.5934, "lon": -122.0439}
    refused = client.post("/v1/admin/cameras", json=camera, headers=admin)
    assert refused.status_code == 422
    assert f"agency-zone-{zone['id']}" in refused.text
    moved = {**camera, "lat": 37.60}
    assert client.post("/v1/admin/cameras", json=moved, headers=admin).status_code == 201
