"""A read store that cannot take a post: a credential in quarantine mode loses nothing.

``alprd`` deletes a read on any HTTP answer, a 503 included. With the read store down (its
``reads`` table detached in the real chDB, so every look-up and insert fails), a post from
a credential in quarantine mode is kept whole in the agency's quarantine and answered 200;
once the table is back, the admin's replay stores it, once. Without quarantine mode the
post is refused with 503 and nothing is kept anywhere."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api import test_quarantine_http as captured
from tests.api.conftest import login

ALPRD = captured.ALPRD
key = captured.key  # the fixture: a key of Union City's, its camera ucpd-lot-north-1 registered
FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
CAPTURED = json.loads((FORMATS / "openalpr_alprd_post.json").read_text())


def fresh_post() -> tuple[bytes, str]:
    """The captured alprd post as a read of its own (the test session shares one store,
    and other tests store the captured read itself): another message id and plate."""
    plate = "Q" + uuid.uuid4().hex[:5].upper()
    post = json.loads(json.dumps(CAPTURED))
    post["uuid"] = f"lot-north-cam1-{uuid.uuid4().hex}"
    post["results"][0]["plate"] = plate
    post["results"][0]["candidates"][0]["plate"] = plate
    return json.dumps(post).encode(), plate


def mapped(client: TestClient, admin: dict[str, str]) -> None:
    """The daemon's camera mapped to the registered one: its post is a valid read."""
    alias = client.post(
        "/v1/admin/camera-aliases",
        headers=admin,
        json={"source_format": "openalpr", "external_key": "lot-north-cam1",
              "camera_id": "ucpd-lot-north-1"},
    )
    assert alias.status_code == 201, alias.text


@contextmanager
def store_down(client: TestClient) -> Iterator[None]:
    """The read store's ``reads`` table detached for the block, attached again after."""
    store = client.app.state.store  # type: ignore[attr-defined]
    store.engine.command(f"DETACH TABLE {store.db}.reads")
    try:
        yield
    finally:
        store.engine.command(f"ATTACH TABLE {store.db}.reads")


def stored(client: TestClient, plate: str) -> int:
    """How many reads of ``plate`` the store holds (the test session shares one store)."""
    store = client.app.state.store  # type: ignore[attr-defined]
    rows = store.query("SELECT count() AS n FROM {db}.reads WHERE plate = {p:String}",
                       {"p": plate})
    return int(rows.column("n")[0].as_py())


def held(client: TestClient, admin: dict[str, str]) -> list[dict[str, object]]:
    listed = client.get("/v1/admin/quarantine", params={"status": "held"}, headers=admin)
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


def test_without_quarantine_mode_a_store_outage_is_a_503_and_nothing_is_kept(
    client: TestClient, key: str
) -> None:
    admin = login(client, "ucpd-admin")
    mapped(client, admin)
    body, plate = fresh_post()
    before = stored(client, plate)
    with store_down(client):
        posted = client.post("/v1/reads/openalpr", content=body,
                             headers=ALPRD | {"X-API-Key": key})
    assert posted.status_code == 503, posted.text
    assert posted.json()["error"]["code"] == "store_unavailable"
    assert "Traceback" not in posted.text
    assert held(client, admin) == []
    assert stored(client, plate) == before


def test_in_quarantine_mode_a_post_the_store_cannot_take_is_kept_and_replayed_once(
    client: TestClient, key: str
) -> None:
    admin = login(client, "ucpd-admin")
    mapped(client, admin)
    turned = client.put(f"/v1/admin/quarantine/credentials/api_key/{key.split('_')[1]}",
                        json={"enabled": True}, headers=admin)
    assert turned.status_code == 204, turned.text
    body, plate = fresh_post()
    before = stored(client, plate)

    with store_down(client):
        posted = client.post("/v1/reads/openalpr", content=body,
                             headers=ALPRD | {"X-API-Key": key})
    assert posted.status_code == 200, posted.text  # alprd deletes the read on any answer
    answer = posted.json()
    assert answer["accepted"] == [] and len(answer["quarantined"]) == 1
    [error] = answer["errors"]
    assert error["code"] == "store_unavailable" and "replay" in error["message"]
    assert stored(client, plate) == before  # nothing half-stored

    [item] = held(client, admin)
    assert item["id"] == answer["quarantined"][0]
    assert any("read store could not take" in r for r in item["reasons"])  # type: ignore[attr-defined]

    replayed = client.post(f"/v1/admin/quarantine/{item['id']}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert stored(client, plate) == before + 1
    again = client.post(f"/v1/admin/quarantine/{item['id']}/replay", headers=admin)
    assert again.status_code == 409
    # the daemon's own retry of the same post is the same read, not a second one
    retry = client.post("/v1/reads/openalpr", content=body, headers=ALPRD | {"X-API-Key": key})
    assert retry.status_code == 200 and len(retry.json()["accepted"]) == 1
    assert stored(client, plate) == before + 1


def test_each_item_of_a_batch_the_store_cannot_take_is_kept_with_its_own_reason(
    client: TestClient, key: str
) -> None:
    admin = login(client, "ucpd-admin")
    client.put(f"/v1/admin/quarantine/credentials/api_key/{key.split('_')[1]}",
               json={"enabled": True}, headers=admin)
    now = int(time.time() * 1000)
    before = stored(client, "7ABC123")
    batch = [
        {"camera_id": "ucpd-lot-north-1", "ts": now, "plate": "7ABC123", "confidence": 0.9},
        {"camera_id": "ucpd-lot-north-1", "ts": now, "plate": "", "confidence": 0.9},
    ]
    with store_down(client):
        posted = client.post("/v1/reads", json=batch, headers={"X-API-Key": key})
    assert posted.status_code == 200, posted.text
    answer = posted.json()
    assert [(e["index"], e["code"]) for e in answer["errors"]] == [
        (0, "store_unavailable"), (1, "invalid_read")]
    assert len(answer["quarantined"]) == 2
    reasons: set[tuple[str, ...]] = {
        tuple(str(r) for r in i["reasons"])  # type: ignore[attr-defined]
        for i in held(client, admin)
    }
    assert len(reasons) == 2
    assert sum(any("read store" in r for r in rs) for rs in reasons) == 1

    for item in held(client, admin):
        client.post(f"/v1/admin/quarantine/{item['id']}/replay", headers=admin)
    assert stored(client, "7ABC123") == before + 1  # the good read; the bad one stays held
    [still] = held(client, admin)
    assert not any("read store" in r for r in still["reasons"])  # type: ignore[attr-defined]


def test_in_quarantine_mode_a_post_that_arrives_while_the_server_shuts_down_is_kept(
    client: TestClient, key: str
) -> None:
    admin = login(client, "ucpd-admin")
    mapped(client, admin)
    client.put(f"/v1/admin/quarantine/credentials/api_key/{key.split('_')[1]}",
               json={"enabled": True}, headers=admin)
    client.app.state.ingest.batcher.close()  # type: ignore[attr-defined]
    body, _ = fresh_post()
    posted = client.post("/v1/reads/openalpr", content=body, headers=ALPRD | {"X-API-Key": key})
    assert posted.status_code == 200, posted.text
    assert [e["code"] for e in posted.json()["errors"]] == ["store_unavailable"]
    [item] = held(client, admin)
    assert item["id"] == posted.json()["quarantined"][0]
