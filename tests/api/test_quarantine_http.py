"""The ingest quarantine over HTTP, on the real app, catalog and store: the captured
``alprd`` post from an unmapped camera is kept (2xx), listed for its agency's admin only,
replayed once its camera alias exists (stored once, however often replayed), or
discarded; a conflicting re-post is refused with both versions kept."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, login

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
BODY = (FORMATS / "openalpr_alprd_post.json").read_bytes()
ALPRD = {"Accept": "application/json", "Content-Type": "application/json", "charsets": "utf-8"}


@pytest.fixture
def key(settings: Settings, seed: Seed) -> str:
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-lot-north-1", seed.ucpd_id, lat=37.59, lon=-122.02)
        return catalog.issue_api_key(seed.ucpd_id, label="lot north bridge")
    finally:
        catalog.close()


def prefix(raw_key: str) -> str:
    return raw_key.split("_")[1]


def reads_of(client: TestClient, read_id: str) -> list[dict[str, object]]:
    store = client.app.state.store  # type: ignore[attr-defined]
    rows = store.query(
        "SELECT camera_id, plate FROM {db}.reads WHERE read_id = {id:UUID}", {"id": read_id}
    )
    return list(rows.to_pylist())


def stored_raw(client: TestClient, item_id: int) -> str:
    from plateledger.catalog.quarantine import quarantine_item

    with client.app.state.audit_log.engine.connect() as conn:  # type: ignore[attr-defined]
        item = quarantine_item(conn, item_id)
    assert item is not None
    return item.raw


def stored_outcome(client: TestClient, item_id: int) -> dict[str, list[str]]:
    from plateledger.catalog.quarantine import quarantine_item

    with client.app.state.audit_log.engine.connect() as conn:  # type: ignore[attr-defined]
        item = quarantine_item(conn, item_id)
    assert item is not None and item.outcome is not None
    return item.outcome


def test_an_unmapped_camera_is_kept_listed_replayed_once_and_searchable(
    client: TestClient, key: str, seed: Seed
) -> None:
    admin = login(client, "ucpd-admin")
    # quarantine off: the unknown camera is refused, nothing kept
    off = client.post("/v1/reads/openalpr", content=BODY, headers=ALPRD | {"X-API-Key": key})
    assert off.status_code == 422, off.text
    assert "unknown camera 'lot-north-cam1'" in off.text
    turned = client.put(
        f"/v1/admin/quarantine/credentials/api_key/{prefix(key)}",
        json={"enabled": True},
        headers=admin,
    )
    assert turned.status_code == 204, turned.text
    posted = client.post("/v1/reads/openalpr", content=BODY, headers=ALPRD | {"X-API-Key": key})
    assert posted.status_code == 200, posted.text  # alprd deletes the read on any answer
    body = posted.json()
    assert body["accepted"] == [] and len(body["quarantined"]) == 1
    assert "1 item(s) kept in quarantine" in body["batch"]
    [item_id] = body["quarantined"]

    listed = client.get("/v1/admin/quarantine", params={"status": "held"}, headers=admin)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 1
    [item] = page["items"]
    assert item["id"] == item_id and item["reasons"] == ["unknown camera 'lot-north-cam1'"]
    assert "YG9X2G" not in json.dumps(page)  # shown masked ...
    assert json.loads(stored_raw(client, item_id)) == json.loads(BODY)  # ... and kept whole
    assert item["credential_kind"] == "api_key" and item["format"] == "openalpr"

    # another agency's admin sees none of it, and cannot act on it
    other = login(client, "fpd-admin")
    assert client.get("/v1/admin/quarantine", headers=other).json()["total"] == 0
    assert client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=other).status_code == 404
    assert client.post(f"/v1/admin/quarantine/{item_id}/discard", headers=other).status_code == 404

    # replay before the mapping is fixed: still refused, still held
    early = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert early.status_code == 422, early.text

    alias = client.post(
        "/v1/admin/camera-aliases",
        headers=admin,
        json={
            "source_format": "openalpr",
            "external_key": "lot-north-cam1",
            "camera_id": "ucpd-lot-north-1",
        },
    )
    assert alias.status_code == 201, alias.text
    replayed = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    [token] = replayed.json()["result"]["accepted"]
    assert token.startswith("rt_") and replayed.json()["item"]["status"] == "replayed"
    [read_id] = stored_outcome(client, item_id)["accepted"]
    assert reads_of(client, read_id) == [{"camera_id": "ucpd-lot-north-1", "plate": "YG9X2G"}]
    again = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert again.status_code == 409
    assert len(reads_of(client, read_id)) == 1

    # now mapped, the daemon's next post is accepted directly, as the same read (a retry)
    direct = client.post("/v1/reads/openalpr", content=BODY, headers=ALPRD | {"X-API-Key": key})
    assert direct.status_code == 200 and direct.json()["accepted"] == [read_id]
    assert len(reads_of(client, read_id)) == 1

    log = client.app.state.audit_log  # type: ignore[attr-defined]
    entry = log.entry(replayed.json()["change_index"]).entry
    assert entry["type"] == "quarantine_change" and entry["change"] == "replay"
    assert entry["before"]["status"] == "held" and entry["after"]["status"] == "replayed"


def test_a_discard_is_logged_and_the_item_stays_listed_as_discarded(
    client: TestClient, key: str
) -> None:
    admin = login(client, "ucpd-admin")
    client.put(
        f"/v1/admin/quarantine/credentials/api_key/{prefix(key)}",
        json={"enabled": True},
        headers=admin,
    )
    stale = json.loads(BODY) | {"epoch_time": 1_000_000_000_000}  # 2001: outside retention
    posted = client.post(
        "/v1/reads/openalpr",
        content=json.dumps(stale),
        headers=ALPRD | {"X-API-Key": key},
        params={"camera": "ucpd-lot-north-1"},
    )
    assert posted.status_code == 200, posted.text
    [item_id] = posted.json()["quarantined"]
    listed = client.get("/v1/admin/quarantine", params={"reason": "retention"}, headers=admin)
    assert [i["id"] for i in listed.json()["items"]] == [item_id]
    discarded = client.post(f"/v1/admin/quarantine/{item_id}/discard", headers=admin)
    assert discarded.status_code == 200, discarded.text
    entry = client.app.state.audit_log.entry(  # type: ignore[attr-defined]
        discarded.json()["change_index"]
    ).entry
    assert entry["type"] == "quarantine_change" and entry["change"] == "discard"
    held = client.get("/v1/admin/quarantine", params={"status": "held"}, headers=admin)
    assert held.json()["total"] == 0
    gone = client.get("/v1/admin/quarantine", params={"status": "discarded"}, headers=admin)
    assert [i["id"] for i in gone.json()["items"]] == [item_id]
    assert client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin).status_code == 409


def test_a_conflicting_repost_is_refused_and_both_versions_are_kept(
    client: TestClient, key: str
) -> None:
    admin = login(client, "ucpd-admin")
    read_id = str(uuid.uuid4())
    first = {
        "read_id": read_id,
        "camera_id": "ucpd-lot-north-1",
        "plate": "7CONF01",
        "ts": datetime.now(UTC).isoformat(),
        "confidence": 0.8749,  # kept as 0.87: not a difference of the re-post's
    }
    other = first | {"plate": "7CONF02", "lat": 37.0, "lon": -122.0}
    fresh = first | {"read_id": str(uuid.uuid4()), "plate": "7CONF03"}
    posted = client.post("/v1/reads", json=[first], headers={"X-API-Key": key})
    assert posted.status_code == 200
    [stored_id] = posted.json()["accepted"]  # the client's id, scoped to its agency
    same = client.post("/v1/reads", json=[first], headers={"X-API-Key": key})
    assert same.status_code == 200 and same.json()["accepted"] == [stored_id]  # idempotent
    mixed = client.post("/v1/reads", json=[other, fresh], headers={"X-API-Key": key})
    assert mixed.status_code == 200, mixed.text
    body = mixed.json()
    assert len(body["accepted"]) == 1 and stored_id not in body["accepted"]
    [error] = body["errors"]
    assert error["code"] == "read_conflict" and stored_id in error["message"]
    assert (
        "each item stands alone: 1 read(s) accepted, 1 refused (1 for conflicting" in body["batch"]
    )
    alone = client.post("/v1/reads", json=[other], headers={"X-API-Key": key})
    assert alone.status_code == 409 and stored_id in alone.text
    assert reads_of(client, stored_id) == [{"camera_id": "ucpd-lot-north-1", "plate": "7CONF01"}]
    listed = client.get("/v1/admin/quarantine", headers=admin).json()
    assert listed["total"] == 2  # kept although this key's quarantine is off
    item = listed["items"][0]
    assert item["reasons"] == ["conflicts with stored read"]
    assert item["read_id"].startswith("rt_")
    assert read_id not in json.dumps(listed) and stored_id not in json.dumps(listed)
    conflict = item["conflict"]
    assert conflict["differs"] == ["lat", "lon", "plate", "plate_key", "plate_raw"]
    assert conflict["posted"]["lat"] == 37.0 and conflict["stored"]["lat"] != 37.0
    assert conflict["posted"]["plate"] != conflict["stored"]["plate"]  # tokens, not plates
    assert "7CONF01" not in json.dumps(listed) and "7CONF02" not in json.dumps(listed)
    # replaying a conflicting version conflicts again: it stays held, and is not kept twice
    again = client.post(f"/v1/admin/quarantine/{item['id']}/replay", headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "read_conflict"
    assert stored_id not in again.text and "7CONF02" not in again.text
    assert client.get("/v1/admin/quarantine", headers=admin).json()["total"] == 2
    held = client.get("/v1/admin/quarantine", params={"status": "held"}, headers=admin)
    assert held.json()["total"] == 2


def test_an_ingest_url_in_quarantine_mode_answers_alprd_2xx_and_keeps_the_bad_read(
    client: TestClient, seed: Seed, settings: Settings
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
    assert turned.status_code == 204, turned.text
    bad = json.loads(BODY)
    bad["results"][0]["confidence"] = "high"  # a bad field
    posted = client.post(f"/v1/ingest/{url}/openalpr", content=json.dumps(bad), headers=ALPRD)
    assert posted.status_code == 200, posted.text
    assert posted.json()["accepted"] == [] and len(posted.json()["quarantined"]) == 1
    listed = client.get("/v1/admin/quarantine", headers=admin).json()
    [item] = listed["items"]
    assert item["credential_kind"] == "ingest_url"
    assert item["camera_hint"] == "ucpd-lot-north-1"
    assert any("confidence" in reason for reason in item["reasons"])
    # each listing is logged before it is answered
    entry = client.app.state.audit_log.entry(listed["read_index"]).entry  # type: ignore[attr-defined]
    assert entry["type"] == "quarantine_read" and entry["item_ids"] == [item["id"]]


def test_frigate_and_rekor_camera_names_map_through_aliases_listed_and_removed(
    client: TestClient, key: str
) -> None:
    admin = login(client, "ucpd-admin")
    now = datetime.now(UTC).timestamp()
    frigate = {
        "type": "lpr",
        "camera": "driveway",
        "plate": "7FRG001",
        "score": 0.91,
        "timestamp": now,
    }
    rekor = json.loads((FORMATS / "rekor_alpr_group.json").read_text())
    rekor["epoch_start"] = int(now * 1000)
    refused = client.post("/v1/reads/frigate", json=frigate, headers={"X-API-Key": key})
    assert refused.status_code == 422 and "unknown camera 'driveway'" in refused.text
    for source, name in (("frigate", "driveway"), ("rekor", "K8sWq0tX2rJm-cam1130204785")):
        added = client.post(
            "/v1/admin/camera-aliases",
            headers=admin,
            json={"source_format": source, "external_key": name, "camera_id": "ucpd-lot-north-1"},
        )
        assert added.status_code == 201, added.text
    listed = client.get("/v1/admin/camera-aliases", headers=admin).json()
    assert [(a["source_format"], a["external_key"]) for a in listed] == [
        ("frigate", "driveway"),
        ("rekor", "K8sWq0tX2rJm-cam1130204785"),
    ]
    # another agency's camera cannot be an alias target
    foreign = client.post(
        "/v1/admin/camera-aliases",
        headers=login(client, "fpd-admin"),
        json={
            "source_format": "frigate",
            "external_key": "driveway",
            "camera_id": "ucpd-lot-north-1",
        },
    )
    assert foreign.status_code == 404
    for path, body in (("/v1/reads/frigate", frigate), ("/v1/reads/rekor", rekor)):
        stored = client.post(path, json=body, headers={"X-API-Key": key})
        assert stored.status_code == 200, stored.text
        [read_id] = stored.json()["accepted"]
        assert reads_of(client, read_id)[0]["camera_id"] == "ucpd-lot-north-1"
    removed = client.delete("/v1/admin/camera-aliases/frigate/driveway", headers=admin)
    assert removed.status_code == 204
    again = client.post(
        "/v1/reads/frigate", json=frigate | {"plate": "7FRG002"}, headers={"X-API-Key": key}
    )
    assert again.status_code == 422 and "unknown camera 'driveway'" in again.text


def test_another_agency_reusing_a_client_id_neither_conflicts_nor_sees_the_first_read(
    client: TestClient, key: str, settings: Settings, seed: Seed
) -> None:
    """A client's id names a read of its own agency only: Fremont's post carrying the id
    Union City's client used is a read of Fremont's own — not a conflict, nothing held in
    either quarantine, and Union City's read neither shown nor changed."""
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("fpd-gate", seed.fpd_id, lat=37.55, lon=-121.98)
        fremont = catalog.issue_api_key(seed.fpd_id, label="gate")
    finally:
        catalog.close()
    read_id = str(uuid.uuid4())
    ours = {
        "read_id": read_id,
        "camera_id": "ucpd-lot-north-1",
        "plate": "7SECRET",
        "ts": datetime.now(UTC).isoformat(),
        "confidence": 0.9,
    }
    posted = client.post("/v1/reads", json=[ours], headers={"X-API-Key": key})
    assert posted.status_code == 200
    [union_city] = posted.json()["accepted"]
    theirs = ours | {"camera_id": "fpd-gate", "plate": "7OTHER1"}
    answer = client.post("/v1/reads", json=[theirs], headers={"X-API-Key": fremont})
    assert answer.status_code == 200, answer.text
    assert answer.json()["errors"] == [] and answer.json()["quarantined"] == []
    [fremont_read] = answer.json()["accepted"]
    assert fremont_read != union_city and "7SECRET" not in answer.text
    for admin in ("fpd-admin", "ucpd-admin"):
        listed = client.get("/v1/admin/quarantine", headers=login(client, admin)).json()
        assert listed["total"] == 0
    assert reads_of(client, union_city) == [{"camera_id": "ucpd-lot-north-1", "plate": "7SECRET"}]
    assert reads_of(client, fremont_read) == [{"camera_id": "fpd-gate", "plate": "7OTHER1"}]


def test_an_agency_whose_law_forbids_keeping_non_hits_keeps_nothing_in_quarantine(
    client: TestClient, settings: Settings
) -> None:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        nashua = catalog.add_agency("Nashua PD", "npd", "municipal", "NH", law_packs=["NH"])
        catalog.add_user(nashua.id, "npd-admin", PASSWORD, ["admin"])
        catalog.add_camera("npd-main-st", nashua.id, lat=42.76, lon=-71.46)
        nashua_key = catalog.issue_api_key(nashua.id, label="bridge")
    finally:
        catalog.close()
    admin = login(client, "npd-admin")
    turned = client.put(
        f"/v1/admin/quarantine/credentials/api_key/{prefix(nashua_key)}",
        json={"enabled": True},
        headers=admin,
    )
    assert turned.status_code == 204
    posted = client.post(
        "/v1/reads/openalpr", content=BODY, headers=ALPRD | {"X-API-Key": nashua_key}
    )
    assert posted.status_code == 422 and "unknown camera 'lot-north-cam1'" in posted.text
    assert client.get("/v1/admin/quarantine", headers=admin).json()["total"] == 0


def test_no_item_is_kept_past_the_agencys_clock_for_reads_without_a_hit(
    client: TestClient, key: str, seed: Seed
) -> None:
    from datetime import timedelta

    from plateledger.catalog.quarantine import NewItem, add_items

    log = client.app.state.audit_log  # type: ignore[attr-defined]
    item = NewItem(
        format="openalpr",
        content_type="application/json",
        camera_hint=None,
        item_index=0,
        raw=BODY.decode(),
        reasons=["unknown camera 'lot-north-cam1'"],
    )
    with log.engine.begin() as conn:  # Union City keeps reads without a hit 60 days
        [old] = add_items(
            conn,
            agency_id=seed.ucpd_id,
            credential_kind="api_key",
            credential_prefix=prefix(key),
            items=[item],
            now=datetime.now(UTC) - timedelta(days=61),
        )
        [recent] = add_items(
            conn,
            agency_id=seed.ucpd_id,
            credential_kind="api_key",
            credential_prefix=prefix(key),
            items=[item],
            now=datetime.now(UTC) - timedelta(days=59),
        )
    admin = login(client, "ucpd-admin")
    listed = client.get("/v1/admin/quarantine", headers=admin).json()
    assert [i["id"] for i in listed["items"]] == [recent]
    purge = log.entry(listed["read_index"] - 1).entry
    assert purge["type"] == "quarantine_purge" and purge["items"] == [old]
    assert purge["agency"] == "ucpd"
    # a post that keeps an item deletes what is past the clock, too
    with log.engine.begin() as conn:
        add_items(
            conn,
            agency_id=seed.ucpd_id,
            credential_kind="api_key",
            credential_prefix=prefix(key),
            items=[item],
            now=datetime.now(UTC) - timedelta(days=90),
        )
    client.put(
        f"/v1/admin/quarantine/credentials/api_key/{prefix(key)}",
        json={"enabled": True},
        headers=admin,
    )
    posted = client.post("/v1/reads/openalpr", content=BODY, headers=ALPRD | {"X-API-Key": key})
    assert len(posted.json()["quarantined"]) == 1
    with log.engine.connect() as conn:
        ages = sorted(
            (datetime.now(UTC).replace(tzinfo=None) - datetime.fromisoformat(str(row[0]))).days
            for row in conn.exec_driver_sql("SELECT received_at FROM ingest_quarantine")
        )
    assert ages == [0, 59]  # the 90-day-old item is gone; the new one and the recent kept
