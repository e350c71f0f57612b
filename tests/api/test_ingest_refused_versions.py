"""What a refused version, a refused replay and a body refused whole leave behind, tried as
a camera that reuses ids or a careless client would: a version refused for a conflict
leaves neither its candidates nor its frame on the read that is kept; a replay is stored
whole or not at all; each vendor format holds to the batch's 10,000 reads; a quarantined
item is kept as it was sent; and a credential in quarantine mode loses nothing, not even
a body refused before it is read (unknown format, too many items)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import open_catalog
from plateledger.catalog.quarantine import quarantine_item
from plateledger.settings import Settings
from tests.api.conftest import Seed, code, login

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
ALPRD_BODY = (FORMATS / "openalpr_alprd_post.json").read_bytes()
WEBHOOK = FORMATS / "platerecognizer_stream_webhook.json"
SEARCH_FIELDS = {"purpose": "stolen_vehicle", "offense_type": "240",
                 "case_number": "UC-2026-0042", "reason": "stolen white pickup"}
ALPRD = {"Accept": "application/json", "Content-Type": "application/json", "charsets": "utf-8"}


@pytest.fixture
def keys(settings: Settings, seed: Seed) -> dict[str, str]:
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-cam-1", seed.ucpd_id, lat=37.59, lon=-122.02)
        return {
            "key": catalog.issue_api_key(seed.ucpd_id, label="all cameras"),
            "url": catalog.issue_ingest_url(seed.ucpd_id, "ucpd-cam-1", "alprd"),
        }
    finally:
        catalog.close()


def a_minute_ago() -> str:
    return (datetime.now(UTC) - timedelta(seconds=60)).isoformat().replace("+00:00", "Z")


def rows(client: TestClient, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    store = client.app.state.store  # type: ignore[attr-defined]
    return list(store.query(sql, params or {}).to_pylist())


_TOKENS: dict[int, dict[str, str]] = {}


def exact_total(client: TestClient, seed: Seed, plate: str) -> int:
    """(the investigator logs in once per app: a one-time code serves once)"""
    headers = _TOKENS.get(id(client))
    if headers is None:
        headers = _TOKENS[id(client)] = login(client, "ivy", code(seed.investigator_totp))
    found = client.post("/v1/searches", headers=headers,
                        json={"kind": "exact", "params": {"plate": plate}} | SEARCH_FIELDS)
    assert found.status_code == 200, found.text
    return int(found.json()["total"])


def quarantine_on(client: TestClient, kind: str, raw: str) -> dict[str, str]:
    admin = login(client, "ucpd-admin")
    turned = client.put(f"/v1/admin/quarantine/credentials/{kind}/{raw.split('_')[1]}",
                        json={"enabled": True}, headers=admin)
    assert turned.status_code == 204, turned.text
    return admin


def add_alias(client: TestClient, admin: dict[str, str], fmt: str, name: str) -> None:
    added = client.post("/v1/admin/camera-aliases", headers=admin,
                        json={"source_format": fmt, "external_key": name,
                              "camera_id": "ucpd-cam-1"})
    assert added.status_code in (200, 201), added.text


def held(client: TestClient, admin: dict[str, str]) -> int:
    listed = client.get("/v1/admin/quarantine", params={"status": "held"}, headers=admin)
    return int(listed.json()["total"])


def raw_of(client: TestClient, item_id: int) -> Any:
    with client.app.state.audit_log.engine.connect() as conn:  # type: ignore[attr-defined]
        item = quarantine_item(conn, item_id)
    assert item is not None
    return item


def alprd_now() -> dict[str, Any]:
    """The captured alprd post, taken a minute ago (its own id: each test's is new)."""
    message: dict[str, Any] = json.loads(ALPRD_BODY)
    message["epoch_time"] = int(time.time() * 1000) - 60_000
    message["uuid"] = f"lot-north-cam1-{message['epoch_time']}-{uuid.uuid4().hex[:8]}"
    return message


def multipart(hook: dict[str, Any], jpeg: bytes, boundary: str = "XyZ") -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="json"\r\n\r\n'
        f"{json.dumps(hook)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
        f'name="upload"; filename="f.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode() + jpeg + f"\r\n--{boundary}--\r\n".encode()


# -- a refused version leaves nothing on the kept read ------------------------------------


def test_a_refused_version_in_the_same_batch_leaves_no_candidate_on_the_kept_read(
    client: TestClient, seed: Seed, keys: dict[str, str]
) -> None:
    read_id, ts = str(uuid.uuid4()), a_minute_ago()
    posted = client.post("/v1/reads", headers={"X-API-Key": keys["key"]}, json=[
        {"read_id": read_id, "camera_id": "ucpd-cam-1", "ts": ts, "plate": "AAA111",
         "confidence": 0.9},
        {"read_id": read_id, "camera_id": "ucpd-cam-1", "ts": ts, "plate": "BBB222",
         "confidence": 0.9, "candidates": [{"plate": "ZZZ999", "confidence": 0.8}]},
    ])
    assert posted.status_code == 200, posted.text
    assert [e["code"] for e in posted.json()["errors"]] == ["read_conflict"]
    assert rows(client, "SELECT plate FROM {db}.read_candidates WHERE plate = 'ZZZ999'") == []
    assert exact_total(client, seed, "ZZZ999") == 0
    assert exact_total(client, seed, "AAA111") == 1


def test_a_refused_version_in_the_same_group_commit_leaves_no_candidate(
    client: TestClient, seed: Seed, keys: dict[str, str]
) -> None:
    """Two posts of one id at once, the second with a candidate: whichever is kept, the
    candidate is stored only with its own version."""
    batcher = client.app.state.ingest.batcher  # type: ignore[attr-defined]
    batcher.max_delay, batcher.max_reads = 0.5, 10_000  # both posts in one group commit
    for attempt in range(3):
        read_id, ts = str(uuid.uuid4()), a_minute_ago()
        plain = {"read_id": read_id, "camera_id": "ucpd-cam-1", "ts": ts,
                 "plate": f"GCA{attempt}", "confidence": 0.9}
        with_candidate = plain | {"plate": f"GCB{attempt}",
                                  "candidates": [{"plate": f"GCZ{attempt}", "confidence": 0.7}]}
        answers: dict[str, int] = {}

        def post(name: str, body: dict[str, Any], into: dict[str, int]) -> None:
            into[name] = client.post("/v1/reads", headers={"X-API-Key": keys["key"]},
                                     json=[body]).status_code

        threads = [threading.Thread(target=post, args=("plain", plain, answers)),
                   threading.Thread(target=post,
                                    args=("candidate", with_candidate, answers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers.values()) == [200, 409]
        kept = rows(client, "SELECT plate FROM {db}.reads WHERE plate IN "
                    "({a:String}, {b:String})", {"a": f"GCA{attempt}", "b": f"GCB{attempt}"})
        candidates = rows(client, "SELECT read_plate FROM {db}.read_candidates "
                          "WHERE plate = {p:String}", {"p": f"GCZ{attempt}"})
        if answers["plain"] == 200:
            assert kept == [{"plate": f"GCA{attempt}"}] and candidates == []
        else:
            assert kept == [{"plate": f"GCB{attempt}"}]
            assert candidates == [{"read_plate": f"GCB{attempt}"}]


def test_a_refused_webhook_with_image_leaves_no_frame(
    client: TestClient, settings: Settings, keys: dict[str, str]
) -> None:
    hook = json.loads(WEBHOOK.read_text())
    hook["data"].update(timestamp=a_minute_ago(), camera_id="ucpd-cam-1")
    first = client.post("/v1/reads/platerecognizer", headers={"X-API-Key": keys["key"]},
                        json=hook)
    assert first.status_code == 200, first.text
    jpeg = b"\xff\xd8\xff\xe0REFUSED-FRAME" + b"\x00" * 64 + b"\xff\xd9"
    again = client.post(
        "/v1/reads/platerecognizer", content=multipart(hook, jpeg),
        headers={"X-API-Key": keys["key"], "Content-Type": "multipart/form-data; boundary=XyZ"})
    assert again.status_code == 409, again.text
    frames = [p for p in settings.data_dir.rglob("*.jpg") if b"REFUSED-FRAME" in p.read_bytes()]
    assert frames == []


def test_an_accepted_webhook_with_image_keeps_its_frame(
    client: TestClient, settings: Settings, keys: dict[str, str]
) -> None:
    """(the other side of the one above: the frame of a stored read is kept)"""
    hook = json.loads(WEBHOOK.read_text())
    hook["data"].update(timestamp=a_minute_ago(), camera_id="ucpd-cam-1")
    jpeg = b"\xff\xd8\xff\xe0KEPT-FRAME" + b"\x00" * 64 + b"\xff\xd9"
    posted = client.post(
        "/v1/reads/platerecognizer", content=multipart(hook, jpeg),
        headers={"X-API-Key": keys["key"], "Content-Type": "multipart/form-data; boundary=XyZ"})
    assert posted.status_code == 200, posted.text
    frames = [p for p in settings.data_dir.rglob("*.jpg") if b"KEPT-FRAME" in p.read_bytes()]
    assert len(frames) == 1


# -- a replay is whole or nothing ---------------------------------------------------------


def test_a_replay_with_a_read_still_refused_stores_none_of_the_item(
    client: TestClient, seed: Seed, keys: dict[str, str]
) -> None:
    admin = quarantine_on(client, "api_key", keys["key"])
    message = alprd_now()
    # a second result of twelve characters (a banner read as a plate): never a plate
    message["results"].append(dict(message["results"][0], plate="ABCDEFGHIJKL",
                                    plate_index=1, candidates=[]))
    posted = client.post("/v1/reads/openalpr", content=json.dumps(message).encode(),
                         headers=ALPRD | {"X-API-Key": keys["key"]})
    assert posted.status_code == 200, posted.text
    [item] = posted.json()["quarantined"]
    add_alias(client, admin, "openalpr", "lot-north-cam1")
    before = exact_total(client, seed, "YG9X2G")
    replayed = client.post(f"/v1/admin/quarantine/{item}/replay", headers=admin)
    assert replayed.status_code == 422, replayed.text
    assert replayed.json()["error"]["code"] == "still_refused"
    assert "YG9X2G" not in replayed.text  # (plates masked for the admin)
    assert exact_total(client, seed, "YG9X2G") == before
    assert held(client, admin) == 1
    # the admin may choose to store what can be stored: the rest is left out, and said
    partial = client.post(f"/v1/admin/quarantine/{item}/replay", params={"partial": True},
                          headers=admin)
    assert partial.status_code == 200, partial.text
    answer = partial.json()
    assert len(answer["result"]["accepted"]) == 1
    assert [e["field"] for e in answer["result"]["errors"]] == ["results[1].plate"]
    assert "ABCDEFGHIJKL" not in partial.text and "YG9X2G" not in partial.text
    assert answer["item"]["status"] == "replayed"
    assert exact_total(client, seed, "YG9X2G") == before + 1
    assert held(client, admin) == 0


# -- every format holds to the batch limit ------------------------------------------------


def test_a_plate_recognizer_webhook_of_10001_results_is_refused_whole(
    client: TestClient, keys: dict[str, str]
) -> None:
    results = [{"plate": f"x{i:05d}", "score": 0.9} for i in range(10_001)]
    hook = {"hook": {"event": "recognition"},
            "data": {"camera_id": "ucpd-cam-1", "timestamp": a_minute_ago(), "results": results}}
    posted = client.post("/v1/reads/platerecognizer", headers={"X-API-Key": keys["key"]},
                         json=hook)
    assert posted.status_code == 413, posted.text
    assert rows(client, "SELECT count() AS n FROM {db}.reads WHERE startsWith(plate, 'X0')"
                ) == [{"n": 0}]


def test_a_rekor_message_of_10001_results_is_refused_whole(
    client: TestClient, keys: dict[str, str]
) -> None:
    message = {"data_type": "alpr_results", "epoch_time": int(time.time() * 1000) - 60_000,
               "camera_id": "ucpd-cam-1",
               "results": [{"plate": f"Y{i:05d}", "confidence": 90} for i in range(10_001)]}
    posted = client.post("/v1/reads/rekor", headers={"X-API-Key": keys["key"]}, json=[message])
    assert posted.status_code == 413, posted.text
    assert rows(client, "SELECT count() AS n FROM {db}.reads WHERE startsWith(plate, 'Y0')"
                ) == [{"n": 0}]


# -- a quarantined item is kept as it was sent --------------------------------------------


def test_an_item_is_kept_as_sent_and_replays_after_the_fix(
    client: TestClient, seed: Seed, keys: dict[str, str]
) -> None:
    """An unknown field of ``1e400`` is valid JSON: written back from its value it would
    be ``Infinity``, which no replay could read."""
    admin = quarantine_on(client, "api_key", keys["key"])
    message = alprd_now()
    message["processing_time_ms"] = "HUGE"
    body = json.dumps([message]).replace('"HUGE"', "1e400").encode()
    posted = client.post("/v1/reads/openalpr", content=body,
                         headers=ALPRD | {"X-API-Key": keys["key"]})
    assert posted.status_code == 200, posted.text
    [item] = posted.json()["quarantined"]
    assert "1e400" in raw_of(client, item).raw
    add_alias(client, admin, "openalpr", "lot-north-cam1")
    before = exact_total(client, seed, "YG9X2G")
    replayed = client.post(f"/v1/admin/quarantine/{item}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert exact_total(client, seed, "YG9X2G") == before + 1


def test_a_multipart_item_with_a_long_content_type_keeps_its_boundary(
    client: TestClient, seed: Seed, keys: dict[str, str]
) -> None:
    admin = quarantine_on(client, "api_key", keys["key"])
    hook = json.loads(WEBHOOK.read_text())
    hook["data"]["timestamp"] = a_minute_ago()
    content_type = (f'multipart/form-data; charset=utf-8; x-note="{"a" * 180}"; '
                    "boundary=b0undary")
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 100 + b"\xff\xd9"
    posted = client.post("/v1/reads/platerecognizer",
                         content=multipart(hook, jpeg, "b0undary"),
                         headers={"X-API-Key": keys["key"], "Content-Type": content_type})
    assert posted.status_code == 200, posted.text
    [item] = posted.json()["quarantined"]
    camera = hook["data"]["camera_id"]
    add_alias(client, admin, "platerecognizer", camera)
    plate = hook["data"]["results"][0]["plate"].upper()
    before = exact_total(client, seed, plate)
    replayed = client.post(f"/v1/admin/quarantine/{item}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert exact_total(client, seed, plate) == before + 1


# -- quarantine mode loses nothing, even a body refused whole -----------------------------


def test_bodies_refused_whole_are_kept_in_quarantine_mode(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = quarantine_on(client, "api_key", keys["key"])
    quarantine_on(client, "ingest_url", keys["url"])
    read = {"camera_id": "ucpd-cam-1", "ts": a_minute_ago(), "plate": "LOST11",
            "confidence": 0.9}
    # what `curl -d @reads.json` sends
    form = client.post("/v1/reads", content=json.dumps([read]).encode(), headers={
        "X-API-Key": keys["key"], "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 200, form.text
    assert form.json()["errors"][0]["code"] == "unknown_format"
    assert held(client, admin) == 1
    misspelt = client.post(f"/v1/ingest/{keys['url']}/alpr_results", headers=ALPRD,
                           content=ALPRD_BODY)
    assert misspelt.status_code == 200, misspelt.text
    assert held(client, admin) == 2
    many = [read | {"plate": f"M{i:05d}"} for i in range(10_001)]
    too_many = client.post("/v1/reads", headers={"X-API-Key": keys["key"]}, json=many)
    assert too_many.status_code == 200, too_many.text
    assert too_many.json()["errors"][0]["code"] == "batch_too_large"
    assert held(client, admin) == 3
    [item] = misspelt.json()["quarantined"]
    assert raw_of(client, item).raw == ALPRD_BODY.decode()
    # an item of a format that does not exist is not replayed, and stays held
    replayed = client.post(f"/v1/admin/quarantine/{item}/replay", headers=admin)
    assert replayed.status_code == 409, replayed.text
    assert replayed.json()["error"]["code"] == "unknown_format"
    assert held(client, admin) == 3


def test_bodies_refused_whole_are_refused_as_before_without_quarantine_mode(
    client: TestClient, keys: dict[str, str]
) -> None:
    read = {"camera_id": "ucpd-cam-1", "ts": a_minute_ago(), "plate": "LOST11",
            "confidence": 0.9}
    form = client.post("/v1/reads", content=json.dumps([read]).encode(), headers={
        "X-API-Key": keys["key"], "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    misspelt = client.post("/v1/reads/alpr_results", headers={"X-API-Key": keys["key"]},
                           content=ALPRD_BODY)
    assert misspelt.status_code == 404
    many = [read | {"plate": f"M{i:05d}"} for i in range(10_001)]
    assert client.post("/v1/reads", headers={"X-API-Key": keys["key"]},
                       json=many).status_code == 413
    admin = login(client, "ucpd-admin")
    assert held(client, admin) == 0


@pytest.mark.parametrize("fmt", ["openalpr", "plate_minder", "rekor"])
def test_a_message_naming_no_type_is_held_to_the_read_limit(fmt: str) -> None:
    """(``"data_type": null`` is read as an `alpr_results` message: its results count)"""
    from plateledger.ingest import ADAPTERS, BatchTooLarge

    message = {"data_type": None, "epoch_time": int(time.time() * 1000) - 60_000,
               "camera_id": "cam-1",
               "results": [{"plate": f"Q{i:05d}", "confidence": 90} for i in range(10_001)]}
    if fmt == "rekor":
        message["data_type"] = "alpr_results"
    with pytest.raises(BatchTooLarge):
        ADAPTERS[fmt].parse(json.dumps([message]).encode(), content_type="application/json")


def test_a_copy_refused_before_storing_lends_nothing_to_the_copy_kept(
    client: TestClient, seed: Seed, keys: dict[str, str]
) -> None:
    """Two copies of one id in a post, the first refused before storing (an unknown
    camera): the stored copy keeps its own candidate, never the refused one's."""
    read_id, ts = str(uuid.uuid4()), a_minute_ago()
    posted = client.post("/v1/reads", headers={"X-API-Key": keys["key"]}, json=[
        {"read_id": read_id, "camera_id": "no-such-camera", "ts": ts, "plate": "AAA111",
         "confidence": 0.9, "candidates": [{"plate": "ZZZ999", "confidence": 0.8}]},
        {"read_id": read_id, "camera_id": "ucpd-cam-1", "ts": ts, "plate": "BBB222",
         "confidence": 0.9, "candidates": [{"plate": "YYY888", "confidence": 0.8}]},
    ])
    assert posted.status_code == 200, posted.text
    assert [e["index"] for e in posted.json()["errors"]] == [0]
    assert rows(client, "SELECT plate, read_plate FROM {db}.read_candidates WHERE read_plate "
                "IN ('AAA111', 'BBB222')") == [{"plate": "YYY888", "read_plate": "BBB222"}]
    assert exact_total(client, seed, "ZZZ999") == 0


def test_two_versions_with_frames_at_once_keep_the_stored_one_s_own_frame(
    client: TestClient, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two webhooks with image of one read (same camera, time and plate, another score)
    posted at once, the frame writes slowed down so that they overlap: one is stored,
    one refused, and the stored read's frame is on disk and is its own."""
    images = client.app.state.images  # type: ignore[attr-defined]
    put = images.put

    def slow_put(read_id: uuid.UUID, kind: str, jpeg: bytes) -> str:
        time.sleep(0.2)
        return str(put(read_id, kind, jpeg))

    monkeypatch.setattr(images, "put", slow_put)
    versions = {"low": (0.55, b"LOW"), "high": (0.95, b"HIGH")}
    for attempt in range(3):
        hook = json.loads(WEBHOOK.read_text())
        hook["data"].update(timestamp=a_minute_ago(), camera_id="ucpd-cam-1")
        hook["data"]["results"][0]["plate"] = f"frm{attempt}00"
        answers: dict[str, int] = {}

        def post(name: str, into: dict[str, int], hook: dict[str, Any] = hook) -> None:
            score, mark = versions[name]
            body = json.loads(json.dumps(hook))
            body["data"]["results"][0]["score"] = score
            frame = b"\xff\xd8\xff\xe0" + mark + b"\x00" * 32 + b"\xff\xd9"
            into[name] = client.post(
                "/v1/reads/platerecognizer", content=multipart(body, frame),
                headers={"X-API-Key": keys["key"],
                         "Content-Type": "multipart/form-data; boundary=XyZ"}).status_code

        threads = [threading.Thread(target=post, args=(name, answers)) for name in versions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers.values()) == [200, 409], answers
        [kept] = [name for name, status in answers.items() if status == 200]
        [stored] = rows(client, "SELECT image_overview FROM {db}.reads "
                        "WHERE plate = {p:String}", {"p": f"FRM{attempt}00"})
        frame = images.get(stored["image_overview"])
        assert frame is not None and versions[kept][1] in frame, (kept, frame)
