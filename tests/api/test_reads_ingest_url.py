"""Ingest URLs: the real ``alprd`` post (its exact body and headers, which carry no key) is
accepted through a camera-scoped, ingest-only credential in the URL, and that credential
opens nothing else."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import open_catalog
from plateledger.settings import Settings
from tests.api.conftest import Seed

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
BODY = (FORMATS / "openalpr_alprd_post.json").read_bytes()


def alprd_headers() -> dict[str, str]:
    """The request headers the daemon sends, read from the capture (Host and length are
    the client's own)."""
    headers: dict[str, str] = {}
    for line in (FORMATS / "openalpr_alprd_post.headers").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        if name and name.lower() not in ("host", "content-length"):
            headers[name.strip()] = value.strip()
    return headers


@pytest.fixture
def credential(settings: Settings, seed: Seed) -> str:
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-lot-north-1", seed.ucpd_id, lat=37.59, lon=-122.02)
        return catalog.issue_ingest_url(seed.ucpd_id, "ucpd-lot-north-1", "alprd lot north")
    finally:
        catalog.close()


def test_the_captured_alprd_post_is_stored_through_an_ingest_url(
    client: TestClient, credential: str, seed: Seed
) -> None:
    headers = alprd_headers()
    assert set(headers) == {"Accept", "Content-Type", "charsets"}  # no key: the capture
    response = client.post(f"/v1/ingest/{credential}/openalpr", content=BODY, headers=headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["accepted"]) == 1
    # the same post again (alprd resends on a dropped connection) is a retry, stored once
    again = client.post(f"/v1/ingest/{credential}/openalpr", content=BODY, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["accepted"] == response.json()["accepted"]
    # stored once, as the URL's camera (the payload calls it `lot-north-cam1`)
    store = client.app.state.store  # type: ignore[attr-defined]
    rows = store.query("SELECT camera_id, plate, owner_id FROM {db}.reads "
                       "WHERE read_id = {id:UUID}", {"id": response.json()["accepted"][0]})
    assert rows.to_pylist() == [
        {"camera_id": "ucpd-lot-north-1", "plate": "YG9X2G", "owner_id": seed.ucpd_id}]


def test_the_catalog_keeps_only_a_hash_of_the_secret(settings: Settings, seed: Seed) -> None:
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-gate", seed.ucpd_id, lat=37.59, lon=-122.02)
        raw = catalog.issue_ingest_url(seed.ucpd_id, "ucpd-gate")
        secret = raw.split("_", 2)[2]
        with catalog.engine.connect() as connection:
            dumped = str(connection.exec_driver_sql("SELECT * FROM ingest_urls").fetchall())
    finally:
        catalog.close()
    assert secret not in dumped and hashlib.sha256(secret.encode()).hexdigest() in dumped


def test_an_unknown_or_revoked_ingest_url_is_refused(
    client: TestClient, credential: str, settings: Settings
) -> None:
    wrong = credential[:-4] + ("aaaa" if not credential.endswith("aaaa") else "bbbb")
    for bad in (wrong, "pli_nothing", "plk_000000000000_x"):
        response = client.post(f"/v1/ingest/{bad}/openalpr", content=BODY,
                               headers=alprd_headers())
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "unknown_ingest_url"
    catalog = open_catalog(settings)
    try:
        catalog.revoke_ingest_url(credential.split("_")[1])
    finally:
        catalog.close()
    response = client.post(f"/v1/ingest/{credential}/openalpr", content=BODY,
                           headers=alprd_headers())
    assert response.status_code == 401


def test_an_ingest_url_credential_opens_no_other_route(
    client: TestClient, credential: str
) -> None:
    as_key = {"X-API-Key": credential, "Content-Type": "application/json"}
    assert client.post("/v1/reads/openalpr", content=BODY, headers=as_key).status_code == 401
    assert client.post("/v1/reads", content=b"[]", headers=as_key).status_code == 401
    # it is answered as a caller with no credential is
    as_bearer = {"Authorization": f"Bearer {credential}"}
    for path in ("/v1/searches", "/v1/audit/entries", "/v1/hotlists", "/v1/hits", "/v1/me",
                 "/v1/admin/keys", "/v1/retention/holds"):
        anonymous = client.get(path)
        for headers in (as_bearer, {"X-API-Key": credential}):
            response = client.get(path, headers=headers)
            assert response.status_code == anonymous.status_code, (path, headers)
    searched = client.post("/v1/searches", headers=as_bearer,
                           json={"plate": "YG9X2G", "purpose": "x", "case_number": "1"})
    assert searched.status_code == 401


def test_one_alprd_posts_several_streams_to_one_url_mapped_by_camera_aliases(
    client: TestClient, credential: str, settings: Settings, seed: Seed
) -> None:
    from tests.api.conftest import login

    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-lot-north-2", seed.ucpd_id, lat=37.59, lon=-122.02)
    finally:
        catalog.close()
    admin = login(client, "ucpd-admin")
    mapped = client.post("/v1/admin/camera-aliases", headers=admin, json={
        "source_format": "openalpr", "external_key": "lot-north-cam2",
        "camera_id": "ucpd-lot-north-2"})
    assert mapped.status_code == 201, mapped.text
    store = client.app.state.store  # type: ignore[attr-defined]
    stored: dict[int, str] = {}
    for stream in (1, 2, 3):
        message = json.loads(BODY)
        message.update(camera_id=stream, uuid=f"lot-north-cam{stream}-1795539749341")
        response = client.post(f"/v1/ingest/{credential}/openalpr",
                               content=json.dumps(message), headers=alprd_headers())
        assert response.status_code == 200, response.text
        [read_id] = response.json()["accepted"]
        rows = store.query("SELECT camera_id FROM {db}.reads WHERE read_id = {id:UUID}",
                           {"id": read_id}).to_pylist()
        stored[stream] = rows[0]["camera_id"]
    # stream 2 is mapped; the others stay the URL's camera (today's naming)
    assert stored == {1: "ucpd-lot-north-1", 2: "ucpd-lot-north-2", 3: "ucpd-lot-north-1"}
