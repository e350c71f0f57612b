"""The quarantine as an admin who wants the plates would use it, on the real app, catalog
and store: admins never reach reads, so no plate (nor candidate, nor read id) of what the
quarantine keeps is shown to them — while the stored item stays whole and a replay stores
the original plate — and a replay is made with the sending credential's restrictions
(its camera), never with more, and not at all once it is revoked."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import open_catalog
from plateledger.settings import Settings
from tests.api.conftest import Seed, login
from tests.api.test_quarantine_http import reads_of, stored_outcome, stored_raw

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
ALPRD_BODY = (FORMATS / "openalpr_alprd_post.json").read_bytes()
WEBHOOK = (FORMATS / "platerecognizer_stream_webhook.json").read_bytes()
ALPRD = {"Accept": "application/json", "Content-Type": "application/json", "charsets": "utf-8"}


def _plates_in(value: object) -> set[str]:
    """Every string under a field named like a plate, anywhere in a decoded body."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if "plate" in str(k).lower() and isinstance(v, str):
                found.add(v)
            found |= _plates_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= _plates_in(v)
    return found


@pytest.fixture
def key(settings: Settings, seed: Seed) -> str:
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-lot-north-1", seed.ucpd_id, lat=37.59, lon=-122.02)
        return catalog.issue_api_key(seed.ucpd_id, label="bridge")
    finally:
        catalog.close()


def stored_reasons_of(client: TestClient) -> list[str]:
    with client.app.state.audit_log.engine.connect() as conn:  # type: ignore[attr-defined]
        return [str(r[0]) for r in conn.exec_driver_sql("SELECT reasons FROM ingest_quarantine")]


def _quarantine_on(client: TestClient, admin: dict[str, str], raw_key: str) -> None:
    turned = client.put(
        f"/v1/admin/quarantine/credentials/api_key/{raw_key.split('_')[1]}",
        json={"enabled": True},
        headers=admin,
    )
    assert turned.status_code == 204, turned.text


def test_no_plate_candidate_or_read_id_is_shown_to_an_admin_and_a_replay_stores_the_original(
    client: TestClient, key: str
) -> None:
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, key)
    now = datetime.now(UTC)
    headers = {"X-API-Key": key}
    # Posts of several shapes, each kept: an unmapped alprd camera (plate and candidates),
    # a Plate Recognizer webhook (candidates), a CSV row, a native read with a bad field
    # (its error quotes the field), a plate that is not a plate, and a conflicting version.
    posts = [
        ("/v1/reads/openalpr", ALPRD_BODY, ALPRD),
        ("/v1/reads/platerecognizer", WEBHOOK, {"Content-Type": "application/json"}),
        (
            "/v1/reads/csv",
            f"camera_id,ts,plate_number,confidence\nlot-9,{now.isoformat()},7CSVQ11,0.9\n".encode(),
            {"Content-Type": "text/csv"},
        ),
        (
            "/v1/reads",
            json.dumps(
                {
                    "camera_id": "ucpd-lot-north-1",
                    "plate": "7BADF22",
                    "ts": now.isoformat(),
                    "confidence": "sure",
                }
            ).encode(),
            {"Content-Type": "application/json"},
        ),
        (
            "/v1/reads",
            json.dumps(
                {
                    "camera_id": "ucpd-lot-north-1",
                    "plate": "QX%%77",
                    "ts": now.isoformat(),
                    "confidence": 0.8,
                }
            ).encode(),
            {"Content-Type": "application/json"},
        ),
    ]
    read_id = str(uuid.uuid4())
    first = {
        "read_id": read_id,
        "camera_id": "ucpd-lot-north-1",
        "plate": "7KEPT01",
        "ts": now.isoformat(),
        "confidence": 0.9,
    }
    assert client.post("/v1/reads", json=[first], headers=headers).status_code == 200
    conflicting = first | {"plate": "7SHOWN9", "lat": 37.1, "lon": -122.1}
    posts.append(("/v1/reads", json.dumps(conflicting).encode(), {}))

    plates: set[str] = set()
    quarantined: list[int] = []
    for path, body, extra in posts:
        posted = client.post(path, content=body, headers=extra | headers)
        assert posted.status_code in (200, 409), posted.text
        assert posted.json().get("quarantined") or posted.status_code == 409
        quarantined += posted.json().get("quarantined", [])
        decoded: object
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = {"plate": "7CSVQ11"}
        plates |= _plates_in(decoded)
    plates |= {"7KEPT01"}  # the stored version of the conflict
    assert {"YG9X2G", "Y69X2G", "6trj244", "6trj24a", "7BADF22", "7SHOWN9"} <= plates
    assert read_id not in quarantined

    page = client.get("/v1/admin/quarantine", params={"limit": 500}, headers=admin)
    assert page.status_code == 200, page.text
    shown = page.text
    assert page.json()["total"] == 6
    for plate in plates:
        for form in (plate, plate.upper(), plate.lower()):
            assert form not in shown, form
    assert read_id not in shown
    # a filter on the reasons matches them as shown: it cannot spell out a quoted plate
    stored_reasons = " ".join(stored_reasons_of(client))
    assert "7BADF22" in stored_reasons or "QX%%77" in stored_reasons  # a reason quotes one
    for probe in ("7BADF", "QX%%", "QX"):
        probed = client.get("/v1/admin/quarantine", params={"reason": probe}, headers=admin)
        assert probed.json()["total"] == 0, probe
    template = client.get("/v1/admin/quarantine", params={"reason": "CAMERA"}, headers=admin)
    assert template.json()["total"] >= 1
    # what the admin needs is there: reasons, source, camera name, time
    items = {i["id"]: i for i in page.json()["items"]}
    alprd = items[min(items)]
    assert alprd["reasons"] == ["unknown camera 'lot-north-cam1'"]
    masked = json.loads(alprd["raw"])
    assert masked["camera_id"] == json.loads(ALPRD_BODY)["camera_id"]
    assert masked["epoch_time"] == json.loads(ALPRD_BODY)["epoch_time"]
    assert masked["results"][0]["plate"].startswith("pt_")
    assert masked["results"][0]["candidates"][0]["plate"] == masked["results"][0]["plate"]
    assert masked["results"][0]["candidates"][1]["plate"] != masked["results"][0]["plate"]
    conflict = next(i for i in items.values() if i["conflict"] is not None)
    assert "plate" in conflict["conflict"]["differs"] and "lat" in conflict["conflict"]["differs"]
    assert conflict["conflict"]["posted"]["lat"] == 37.1
    # the same plate is not the same token in two items: a plate the admin posts cannot
    # be matched against the quarantine
    tokens = [
        json.loads(i["raw"]).get("plate")
        for i in items.values()
        if i["raw"] and i["format"] == "native"
    ]
    assert all(t is None or t.startswith("pt_") for t in tokens)
    again = client.post(
        "/v1/reads/openalpr", content=ALPRD_BODY, headers=ALPRD | {"X-API-Key": key}
    ).json()["quarantined"]
    relisted = client.get("/v1/admin/quarantine", params={"limit": 500}, headers=admin).json()
    twice = [
        json.loads(i["raw"])["results"][0]["plate"]
        for i in relisted["items"]
        if i["format"] == "openalpr"
    ]
    assert len(twice) == 2 and twice[0] != twice[1]

    # the stored item is whole, and a replay stores the original plate
    assert json.loads(stored_raw(client, alprd["id"])) == json.loads(ALPRD_BODY)
    client.post(
        "/v1/admin/camera-aliases",
        headers=admin,
        json={
            "source_format": "openalpr",
            "external_key": "lot-north-cam1",
            "camera_id": "ucpd-lot-north-1",
        },
    )
    replayed = client.post(f"/v1/admin/quarantine/{alprd['id']}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    for plate in plates:
        assert plate not in replayed.text and plate.upper() not in replayed.text
    [stored_id] = stored_outcome(client, alprd["id"])["accepted"]
    assert stored_id not in replayed.text
    assert reads_of(client, stored_id) == [{"camera_id": "ucpd-lot-north-1", "plate": "YG9X2G"}]
    # a still-refused replay's errors are masked, too
    native = next(i for i in items.values() if i["format"] == "native" and not i["conflict"])
    refused = client.post(f"/v1/admin/quarantine/{native['id']}/replay", headers=admin)
    assert refused.status_code == 422
    for plate in plates:
        assert plate not in refused.text and plate.upper() not in refused.text
    assert again  # (the second alprd post was kept, as its own item)


def test_a_replay_keeps_a_camera_scoped_keys_camera_and_refuses_a_revoked_credential(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-gate-a", seed.ucpd_id, lat=37.59, lon=-122.02)
        catalog.add_camera("ucpd-gate-b", seed.ucpd_id, lat=37.60, lon=-122.03)
        only_a = catalog.issue_api_key(seed.ucpd_id, "ucpd-gate-a", label="gate a")
        loose = catalog.issue_api_key(seed.ucpd_id, label="bridge")
    finally:
        catalog.close()
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, only_a)
    _quarantine_on(client, admin, loose)
    now = datetime.now(UTC).timestamp()
    event = {"type": "lpr", "camera": "porch", "plate": "7SCOPE1", "score": 0.9, "timestamp": now}

    # A key limited to gate A sends a read of gate B: refused, kept; the admin's replay
    # refuses it again, whatever the admin does
    direct = client.post(
        "/v1/reads/frigate", json=event | {"camera": "ucpd-gate-b"}, headers={"X-API-Key": only_a}
    )
    assert direct.status_code == 200 and len(direct.json()["quarantined"]) == 1
    [direct_item] = direct.json()["quarantined"]
    # … and an unknown name, which the admin then maps to gate B
    named = client.post("/v1/reads/frigate", json=event, headers={"X-API-Key": only_a})
    [named_item] = named.json()["quarantined"]
    added = client.post(
        "/v1/admin/camera-aliases",
        headers=admin,
        json={"source_format": "frigate", "external_key": "porch", "camera_id": "ucpd-gate-b"},
    )
    assert added.status_code == 201
    for item_id in (direct_item, named_item):
        replayed = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
        assert replayed.status_code == 422, replayed.text
        assert "may only send reads of camera `ucpd-gate-a`" in replayed.text
    held = client.get("/v1/admin/quarantine", params={"status": "held"}, headers=admin).json()
    assert {direct_item, named_item} <= {i["id"] for i in held["items"]}
    store = client.app.state.store  # type: ignore[attr-defined]
    rows = store.query(
        "SELECT count() AS n FROM {db}.reads WHERE camera_id = 'ucpd-gate-b'", {}
    ).to_pylist()
    assert rows == [{"n": 0}]
    # the unrestricted key's item replays to gate B — until that key is revoked
    loose_item = client.post(
        "/v1/reads/frigate", json=event | {"plate": "7SCOPE2"}, headers={"X-API-Key": loose}
    ).json()
    assert loose_item["accepted"] and not loose_item["quarantined"]  # mapped now
    client.delete("/v1/admin/camera-aliases/frigate/porch", headers=admin)
    kept = client.post(
        "/v1/reads/frigate", json=event | {"plate": "7SCOPE3"}, headers={"X-API-Key": loose}
    ).json()
    [loose_held] = kept["quarantined"]
    client.post(
        "/v1/admin/camera-aliases",
        headers=admin,
        json={"source_format": "frigate", "external_key": "porch", "camera_id": "ucpd-gate-b"},
    )
    catalog = open_catalog(settings)
    try:
        catalog.revoke_api_key(loose.split("_")[1])
    finally:
        catalog.close()
    revoked = client.post(f"/v1/admin/quarantine/{loose_held}/replay", headers=admin)
    assert revoked.status_code == 409 and revoked.json()["error"]["code"] == "credential_revoked"
    assert "revoked" in revoked.json()["error"]["message"]
    held = client.get("/v1/admin/quarantine", params={"status": "held"}, headers=admin).json()
    assert loose_held in {i["id"] for i in held["items"]}
    rows = store.query(
        "SELECT count() AS n FROM {db}.reads WHERE camera_id = 'ucpd-gate-b'", {}
    ).to_pylist()
    assert rows == [{"n": 1}]  # only the read the live key sent once mapped


def test_a_quarantined_webhook_with_image_keeps_its_frame_and_a_replay_stores_it(
    client: TestClient, key: str
) -> None:
    from tests.api.test_candidates_http import multipart

    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, key)
    webhook = json.loads(WEBHOOK)
    webhook["data"]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = b"\xff\xd8\xff\xe0" + b"\x00frame of camera 12" * 40 + b"\xff\xd9"
    body, content_type = multipart(webhook, frame)
    posted = client.post(
        "/v1/reads/platerecognizer",
        content=body,
        headers={"X-API-Key": key, "Content-Type": content_type},
    )
    assert posted.status_code == 200, posted.text
    [item_id] = posted.json()["quarantined"]  # camera-12 is not mapped yet
    listed = client.get("/v1/admin/quarantine", headers=admin)
    [item] = listed.json()["items"]
    assert "6trj244" not in listed.text.lower() and "frame of camera" not in listed.text
    assert json.loads(item["raw"])["data"]["camera_id"] == "camera-12"
    assert "frame" in item["raw_withheld"]
    added = client.post(
        "/v1/admin/camera-aliases",
        headers=admin,
        json={
            "source_format": "platerecognizer",
            "external_key": "camera-12",
            "camera_id": "ucpd-lot-north-1",
        },
    )
    assert added.status_code == 201, added.text
    replayed = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    [read_id] = stored_outcome(client, item_id)["accepted"]
    assert reads_of(client, read_id) == [{"camera_id": "ucpd-lot-north-1", "plate": "6TRJ244"}]
    images = client.app.state.images  # type: ignore[attr-defined]
    assert images.get(images.ref(uuid.UUID(read_id), "overview")) == frame


def test_a_revoked_ingest_urls_item_is_not_replayed_and_stays_held(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-lot-north-1", seed.ucpd_id, lat=37.59, lon=-122.02)
        url = catalog.issue_ingest_url(seed.ucpd_id, "ucpd-lot-north-1", "alprd")
    finally:
        catalog.close()
    admin = login(client, "ucpd-admin")
    turned = client.put(
        f"/v1/admin/quarantine/credentials/ingest_url/{url.split('_')[1]}",
        json={"enabled": True},
        headers=admin,
    )
    assert turned.status_code == 204
    bad = json.loads(ALPRD_BODY)
    bad["results"][0]["confidence"] = "high"
    posted = client.post(f"/v1/ingest/{url}/openalpr", content=json.dumps(bad), headers=ALPRD)
    [item_id] = posted.json()["quarantined"]
    catalog = open_catalog(settings)
    try:
        catalog.revoke_ingest_url(url.split("_")[1])
    finally:
        catalog.close()
    replayed = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert replayed.status_code == 409
    assert replayed.json()["error"]["code"] == "credential_revoked"
    held = client.get("/v1/admin/quarantine", params={"status": "held"}, headers=admin).json()
    assert [i["id"] for i in held["items"]] == [item_id]
