"""Attacks on ingest by a holder of one legitimate credential of Union City (agency A):
an API key, an ingest URL, an admin or an investigator login. Each test is written as the
promise it checks: an agency's reads, images, quarantined items and camera mappings are
reachable only by its own users under policy, and nothing an ingest credential sends can
write, hide, change or reveal another agency's (Fremont's, agency B's) data.

Real app, SQLite catalog and chDB store (shared by the session: every test uses plates and
ids of its own)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.ingest.adapters.fields import read_id as vendor_read_id
from plateledger.read import derive_read_id
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
ALPRD_BODY = (FORMATS / "openalpr_alprd_post.json").read_bytes()
WEBHOOK = json.loads((FORMATS / "platerecognizer_stream_webhook.json").read_text())
REKOR = json.loads((FORMATS / "rekor_alpr_group.json").read_text())
ALPRD = {"Accept": "application/json", "Content-Type": "application/json", "charsets": "utf-8"}
SEARCH = {
    "purpose": "stolen_vehicle",
    "offense_type": "240",
    "case_number": "UC-2026-0042",
    "reason": "stolen white pickup",
}
VIEW = {k: SEARCH[k] for k in ("purpose", "reason", "case_number")}

A_CAM = "ucpd-atk-1"
A_CAM_2 = "ucpd-atk-2"
B_CAM = "fpd-atk-gate"


@pytest.fixture
def world(settings: Settings, seed: Seed) -> dict[str, str]:
    """Union City (A): two cameras, an agency key, a key limited to its first camera and an
    ingest URL of its first camera. Fremont (B): one camera, its key and its ingest URL, an
    investigator."""
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.add_camera(A_CAM, seed.ucpd_id, lat=37.59, lon=-122.02)
        catalog.add_camera(A_CAM_2, seed.ucpd_id, lat=37.60, lon=-122.03)
        catalog.add_camera(B_CAM, seed.fpd_id, lat=37.55, lon=-121.98)
        fremont = new_totp_secret()
        catalog.add_user(seed.fpd_id, "fred", PASSWORD, ["investigator"], totp_secret=fremont)
        return {
            "a_key": catalog.issue_api_key(seed.ucpd_id, label="a agency key"),
            "a_cam_key": catalog.issue_api_key(seed.ucpd_id, A_CAM, label="a camera key"),
            "a_url": catalog.issue_ingest_url(seed.ucpd_id, A_CAM, "a alprd"),
            "b_key": catalog.issue_api_key(seed.fpd_id, label="b agency key"),
            "b_url": catalog.issue_ingest_url(seed.fpd_id, B_CAM, "b alprd"),
            "fremont": fremont,
        }
    finally:
        catalog.close()


def now_iso(offset_s: float = 0.0) -> str:
    return (datetime.now(UTC) - timedelta(seconds=offset_s)).isoformat()


def unique_plate(prefix: str) -> str:
    """A plate no other test posts (the store is shared by the session)."""
    return (prefix + uuid.uuid4().hex.upper())[:8]


def rows_of(client: TestClient, read_id: str) -> list[dict[str, Any]]:
    store = client.app.state.store  # type: ignore[attr-defined]
    rows = store.query(
        "SELECT owner_id, camera_id, plate, image_overview, image_plate FROM {db}.reads "
        "WHERE read_id = {id:UUID}",
        {"id": read_id},
    )
    return list(rows.to_pylist())


def rows_of_camera(client: TestClient, camera_id: str, plate: str) -> list[dict[str, Any]]:
    store = client.app.state.store  # type: ignore[attr-defined]
    rows = store.query(
        "SELECT owner_id, camera_id, plate FROM {db}.reads "
        "WHERE camera_id = {camera:String} AND plate = {plate:String}",
        {"camera": camera_id, "plate": plate},
    )
    return list(rows.to_pylist())


def rows_of_plate(client: TestClient, plate: str) -> list[dict[str, Any]]:
    store = client.app.state.store  # type: ignore[attr-defined]
    rows = store.query(
        "SELECT owner_id, camera_id, plate, toString(read_id) AS read_id FROM {db}.reads "
        "WHERE plate = {plate:String}",
        {"plate": plate},
    )
    return list(rows.to_pylist())


def multipart(webhook: dict[str, Any], image: bytes) -> tuple[bytes, str]:
    boundary = "attackboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="json"\r\n\r\n'.encode()
        + json.dumps(webhook).encode()
        + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; '
        f'filename="frame.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + image
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def b_posts_a_webhook_with_image(
    client: TestClient, world: dict[str, str], plate: str
) -> tuple[str, bytes]:
    """Fremont's Plate Recognizer Stream posts a webhook with its frame: the read id and
    the frame (which pictures the plate)."""
    webhook = json.loads(json.dumps(WEBHOOK))
    webhook["data"]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    webhook["data"]["camera_id"] = B_CAM
    webhook["data"]["results"][0]["plate"] = plate.lower()
    frame = b"\xff\xd8\xff\xe0" + f"fremont frame of {plate}".encode() * 40 + b"\xff\xd9"
    body, content_type = multipart(webhook, frame)
    posted = client.post(
        "/v1/reads/platerecognizer",
        content=body,
        headers={"X-API-Key": world["b_key"], "Content-Type": content_type},
    )
    assert posted.status_code == 200, posted.text
    [read_id] = posted.json()["accepted"]
    return read_id, frame


# -- images ------------------------------------------------------------------------------


def test_another_agencys_webhook_image_is_refused_to_an_investigator_without_agreement(
    client: TestClient, seed: Seed, world: dict[str, str]
) -> None:
    plate = unique_plate("7IMG")
    b_read, frame = b_posts_a_webhook_with_image(client, world, plate)
    ivy = login(client, "ivy", code(seed.investigator_totp))
    for kind in ("overview", "plate"):
        refused = client.get(
            f"/v1/reads/{b_read}/images/{kind}", params={"plate": plate} | VIEW, headers=ivy
        )
        assert refused.status_code in (403, 404), refused.text
        assert frame not in refused.content
    fred = login(client, "fred", code(world["fremont"]))
    own = client.get(
        f"/v1/reads/{b_read}/images/overview", params={"plate": plate} | VIEW, headers=fred
    )
    assert own.status_code == 200 and own.content == frame  # the image is there


@pytest.mark.parametrize("route", ["native", "csv", "ingest_url_csv"])
def test_a_read_posted_by_one_agency_cannot_point_at_another_agencys_stored_image(
    client: TestClient, seed: Seed, world: dict[str, str], route: str
) -> None:
    """A's camera credential posts a read of its own camera whose ``images.overview`` is
    the reference of B's stored frame (``local:<2 hex>/<B's read id>.overview.jpg``, a
    public format computed from the read id); A's investigator then opens "A's own" read's
    image. The promise: B's frame is never returned to A (its view is B's policy's)."""
    plate = unique_plate("7REF")
    b_read, frame = b_posts_a_webhook_with_image(client, world, plate)
    images = client.app.state.images  # type: ignore[attr-defined]
    stolen_ref = images.ref(uuid.UUID(b_read), "overview")
    assert stolen_ref == f"local:{uuid.UUID(b_read).hex[:2]}/{b_read}.overview.jpg"
    a_plate = unique_plate("7OWN")
    read = {"camera_id": A_CAM, "ts": now_iso(), "plate": a_plate, "confidence": 0.9,
            "images": {"overview": stolen_ref, "plate": stolen_ref}}
    if route == "native":
        posted = client.post("/v1/reads", json=[read], headers={"X-API-Key": world["a_key"]})
    else:
        text = ("camera_id,ts,plate,confidence,image_overview,image_plate\r\n"
                f"{A_CAM},{read['ts']},{a_plate},0.9,{stolen_ref},{stolen_ref}\r\n")
        path = (f"/v1/ingest/{world['a_url']}/csv" if route == "ingest_url_csv"
                else "/v1/reads/csv")
        posted = client.post(path, content=text, headers={
            "Content-Type": "text/csv", "X-API-Key": world["a_key"]})
    # The promise holds if the post is refused, or if the reference is not kept ...
    if posted.status_code == 200 and posted.json()["accepted"]:
        [a_read] = posted.json()["accepted"]
        ivy = login(client, "ivy", code(seed.investigator_totp))
        # ... and A's investigator never receives B's frame through A's read
        for kind in ("overview", "plate"):
            shown = client.get(f"/v1/reads/{a_read}/images/{kind}",
                               params={"plate": a_plate} | VIEW, headers=ivy)
            assert shown.content != frame, (
                f"A's investigator read B's {kind} image through a read of A's that names "
                f"B's image reference ({route})")


def test_reads_shared_without_images_do_not_lend_their_images_through_an_ingest_post(
    client: TestClient, settings: Settings, seed: Seed, world: dict[str, str]
) -> None:
    """The realistic path to B's read id: B shares its reads with A for stolen-vehicle
    searches, without images. A's investigator finds B's read (its id is in the answer),
    is refused its image, then has A's camera key post a read naming B's image reference,
    and opens that."""
    catalog = open_catalog(settings)
    try:
        catalog.add_agreement(seed.fpd_id, seed.ucpd_id, actions=("search",),
                              purposes=("stolen_vehicle",), created_by="fpd-admin",
                              images_allowed=False)
    finally:
        catalog.close()
    plate = unique_plate("7SHR")
    b_read, frame = b_posts_a_webhook_with_image(client, world, plate)
    ivy = login(client, "ivy", code(seed.investigator_totp))
    found = client.post("/v1/searches", headers=ivy,
                        json={"kind": "exact", "params": {"plate": plate}} | SEARCH)
    assert found.status_code == 200, found.text
    assert b_read in {r["read_id"] for r in found.json()["results"]}  # shared: visible
    refused = client.get(f"/v1/reads/{b_read}/images/overview",
                         params={"plate": plate} | VIEW, headers=ivy)
    assert refused.status_code in (403, 404) and refused.content != frame  # not its image
    ref = f"local:{uuid.UUID(b_read).hex[:2]}/{b_read}.overview.jpg"
    a_plate = unique_plate("7OWN")
    posted = client.post("/v1/reads", headers={"X-API-Key": world["a_key"]}, json=[{
        "camera_id": A_CAM, "ts": now_iso(), "plate": a_plate, "confidence": 0.9,
        "images": {"overview": ref}}])
    if posted.status_code == 200 and posted.json()["accepted"]:
        [a_read] = posted.json()["accepted"]
        shown = client.get(f"/v1/reads/{a_read}/images/overview",
                           params={"plate": a_plate} | VIEW, headers=ivy)
        assert shown.content != frame, "B's image, refused to A, was served through A's read"


# -- read ids: overwrite, hide, reveal ---------------------------------------------------


def test_another_agency_cannot_overwrite_a_stored_read_by_reposting_its_id(
    client: TestClient, world: dict[str, str], seed: Seed
) -> None:
    plate = unique_plate("7OVR")
    ts = now_iso(60)
    b = client.post("/v1/reads", headers={"X-API-Key": world["b_key"]},
                    json=[{"camera_id": B_CAM, "ts": ts, "plate": plate, "confidence": 0.9}])
    assert b.status_code == 200, b.text
    [read_id] = b.json()["accepted"]
    for number, attempt in enumerate((
        {"read_id": read_id, "camera_id": A_CAM, "ts": ts, "plate": plate, "confidence": 0.9},
        {"read_id": read_id, "camera_id": A_CAM, "ts": now_iso(), "plate": "7ZZZ999",
         "confidence": 0.5},
        {"read_id": read_id, "camera_id": B_CAM, "ts": ts, "plate": plate, "confidence": 0.9},
    )):
        # A's own camera: a read of A's own under another id (its id names A's reads
        # only), then the same id with other content: A's own read conflicts; B's camera:
        # refused. Never B's read, nor its id.
        answer = client.post("/v1/reads", json=[attempt], headers={"X-API-Key": world["a_key"]})
        expected = 422 if attempt["camera_id"] == B_CAM else 200 if number == 0 else 409
        assert answer.status_code == expected, answer.text
        assert read_id not in answer.json().get("accepted", [])
        for own in answer.json().get("accepted", []):
            assert [r["owner_id"] for r in rows_of(client, own)] == [seed.ucpd_id]
    assert rows_of(client, read_id) == [{"owner_id": seed.fpd_id, "camera_id": B_CAM,
                                         "plate": plate, "image_overview": "",
                                         "image_plate": ""}]


@pytest.mark.parametrize("credential", ["api_key", "ingest_url"])
def test_an_ingest_post_does_not_tell_whether_another_agency_holds_a_guessed_read_id(
    client: TestClient, world: dict[str, str], credential: str
) -> None:
    """Read ids are derived from camera, time (ms) and plate when the camera sends none.
    A's key posts reads of its own camera whose ``read_id`` is the derived id of (B's
    camera, a moment, a plate): a window of 2,000 candidate moments in one post. The
    promise: which of them B holds (where that plate passed B's camera, and when) is not
    told to A — a cross-agency search without a decision or a search entry."""
    plate = unique_plate("7ORC")
    seen = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10, milliseconds=-437)
    b = client.post("/v1/reads", headers={"X-API-Key": world["b_key"]},
                    json=[{"camera_id": B_CAM, "ts": seen.isoformat(), "plate": plate,
                           "confidence": 0.9}])
    assert b.status_code == 200, b.text
    window = [seen.replace(microsecond=0) + timedelta(milliseconds=ms) for ms in range(2000)]
    guesses = [
        {"read_id": str(derive_read_id(B_CAM, moment, plate)), "camera_id": A_CAM,
         "ts": now_iso(), "plate": unique_plate("7JNK"), "confidence": 0.5}
        for moment in window
    ]
    if credential == "api_key":
        probe = client.post("/v1/reads", json=guesses, headers={"X-API-Key": world["a_key"]})
    else:  # an ingest URL (whoever reads the proxy's logs) is enough
        probe = client.post(f"/v1/ingest/{world['a_url']}/native", json=guesses)
    assert probe.status_code == 200, probe.text
    told = [e["index"] for e in probe.json()["errors"] if e["code"] == "read_conflict"]
    assert told == [], (
        f"A learned that B's camera read {plate} at {window[told[0]].isoformat()} "
        "(its derived read id is taken)")


def test_one_agency_cannot_pre_claim_the_read_ids_another_agencys_alprd_will_send(
    client: TestClient, world: dict[str, str], seed: Seed
) -> None:
    """An ``alprd`` read's id is the UUIDv5 of its ``uuid`` (``<site>-cam<n>-<epoch ms>``)
    and plate index: known in advance up to the millisecond. A's key posts reads of its own
    camera carrying the ids B's daemon will send in the next second; B's daemon then posts.
    The promise: B's read is stored as B's (A cannot hide it)."""
    start = int(datetime.now(UTC).timestamp() * 1000) + 1000
    site = "fpd-site-" + uuid.uuid4().hex[:6]
    squatted = [
        {"read_id": str(vendor_read_id(f"{site}-cam1-{ms}", "0")), "camera_id": A_CAM,
         "ts": now_iso(), "plate": unique_plate("7SQT"), "confidence": 0.5}
        for ms in range(start, start + 1000)
    ]
    claimed = client.post("/v1/reads", json=squatted, headers={"X-API-Key": world["a_key"]})
    assert claimed.status_code == 200 and len(claimed.json()["accepted"]) == 1000
    message = json.loads(ALPRD_BODY)
    plate = unique_plate("7VIC")
    message["results"][0]["plate"] = plate
    message.update(site_id=site, camera_id=1, epoch_time=start + 200,
                   uuid=f"{site}-cam1-{start + 417}")
    posted = client.post(f"/v1/ingest/{world['b_url']}/openalpr", content=json.dumps(message),
                         headers=ALPRD)
    stored = rows_of_plate(client, plate)
    assert posted.status_code == 200 and stored and stored[0]["owner_id"] == seed.fpd_id, (
        f"B's alprd read was refused because A had claimed its id first: {posted.status_code} "
        f"{posted.text[:300]}")


# -- ingest URL credentials --------------------------------------------------------------


def _filled(path: str) -> str:
    """``path`` with each parameter given a plausible value."""
    values = {"read_id": str(uuid.uuid4()), "kind": "overview", "item_id": "1",
              "format_name": "openalpr", "source_format": "openalpr", "prefix": "0" * 12,
              "external_key": "x", "username": "ivy", "index": "0", "slug": "ucpd",
              "agency_id": "1", "number": "UC-1", "code": "x", "sample": "1", "node": "x"}
    out = path
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        name = out[start + 1:end].split(":")[0]
        out = out[:start] + values.get(name, "1") + out[end + 1:]
    return out


def test_an_ingest_url_credential_opens_no_route_but_its_own(
    client: TestClient, world: dict[str, str]
) -> None:
    """Every route of the app, called with A's ingest URL as a bearer token or an API key
    (and in the path of the API-key ingest routes), answers as it answers a caller with no
    credential."""
    credential = world["a_url"]
    checked = 0
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    for route, operations in sorted(paths.items()):
        if route.startswith("/v1/ingest/"):
            continue
        if "stream" in route:  # a stream opened by mistake would never end
            continue
        path = _filled(route)
        for method in sorted(m.upper() for m in operations):
            anonymous = client.request(method, path, json={})
            for headers in ({"Authorization": f"Bearer {credential}"},
                            {"X-API-Key": credential}):
                answer = client.request(method, path, json={}, headers=headers)
                assert answer.status_code == anonymous.status_code, (method, path, headers)
            checked += 1
    assert checked > 80
    # Its own route, with the format of an API-key route in its place, is still ingest only
    for other in ("../reads", "..%2Freads", "openalpr/../../searches"):
        answer = client.post(f"/v1/ingest/{credential}/{other}", content=ALPRD_BODY,
                             headers=ALPRD)
        assert answer.status_code in (404, 405, 401), (other, answer.text)


@pytest.mark.parametrize("fmt", ["native", "openalpr", "csv", "frigate", "rekor",
                                 "platerecognizer", "plate_minder"])
def test_an_ingest_url_stores_reads_as_its_own_camera_whatever_the_payload_names(
    client: TestClient, world: dict[str, str], seed: Seed, fmt: str
) -> None:
    """The payload names B's camera (and B's agency nowhere can be named): the read is
    stored as A's URL camera, owned by A — never as B's camera."""
    plate = unique_plate("7URL")
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    bodies: dict[str, tuple[str, str]] = {
        "native": (json.dumps({"camera_id": B_CAM, "ts": now_iso(), "plate": plate,
                               "confidence": 0.9, "owner_id": seed.fpd_id,
                               "origin_state": "WA"}), "application/json"),
        "csv": (f"camera_id,ts,plate,confidence\r\n{B_CAM},{now_iso()},{plate},0.9\r\n",
                "text/csv"),
        "frigate": (json.dumps({"type": "lpr", "camera": B_CAM, "plate": plate, "score": 0.9,
                                "timestamp": now_ms / 1000}), "application/json"),
    }
    message = json.loads(ALPRD_BODY)
    message["results"][0]["plate"] = plate
    message.update(epoch_time=now_ms, uuid=f"{B_CAM}-{now_ms}-{plate}", site_id="",
                   camera_id=B_CAM)
    bodies["openalpr"] = (json.dumps(message), "application/json")
    minder = dict(message)
    for field in ("uuid", "site_id", "camera_id"):
        minder.pop(field)
    bodies["plate_minder"] = (json.dumps(minder), "application/json")
    rekor = json.loads(json.dumps(REKOR))
    rekor.update(camera_id=B_CAM, agent_uid=None, epoch_start=now_ms, best_plate_number=plate,
                 best_uuid=f"rekor-{plate}")
    if isinstance(rekor.get("best_plate"), dict):
        rekor["best_plate"]["plate"] = plate
    bodies["rekor"] = (json.dumps(rekor), "application/json")
    webhook = json.loads(json.dumps(WEBHOOK))
    webhook["data"].update(camera_id=B_CAM,
                           timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    webhook["data"]["results"][0]["plate"] = plate.lower()
    bodies["platerecognizer"] = (json.dumps(webhook), "application/json")
    body, content_type = bodies[fmt]
    posted = client.post(f"/v1/ingest/{world['a_url']}/{fmt}", content=body,
                         headers={"Content-Type": content_type})
    assert posted.status_code in (200, 409, 422), posted.text
    stored = [r for r in rows_of_plate(client, plate) if r["camera_id"] == B_CAM
              or r["owner_id"] != seed.ucpd_id]
    assert stored == []
    assert rows_of_camera(client, B_CAM, plate) == []
    if posted.status_code == 200 and posted.json()["accepted"]:
        for read_id in posted.json()["accepted"]:
            for row in rows_of(client, read_id):
                assert (row["owner_id"], row["camera_id"]) == (seed.ucpd_id, A_CAM)


def test_another_agencys_alias_does_not_route_an_ingest_url_or_key_to_its_camera(
    client: TestClient, world: dict[str, str], seed: Seed
) -> None:
    """Fremont maps the alprd name ``lot-north-cam1`` (and a Frigate name) to its camera;
    the same names sent by Union City's URL and key are not Fremont's."""
    fpd_admin = login(client, "fpd-admin")
    for source, name in (("openalpr", "lot-north-cam1"), ("frigate", "atk-driveway")):
        added = client.post("/v1/admin/camera-aliases", headers=fpd_admin, json={
            "source_format": source, "external_key": name, "camera_id": B_CAM})
        assert added.status_code == 201, added.text
    plate = unique_plate("7ALS")
    message = json.loads(ALPRD_BODY)
    message["results"][0]["plate"] = plate
    message.update(epoch_time=int(datetime.now(UTC).timestamp() * 1000),
                   uuid=f"lot-north-cam1-{uuid.uuid4().hex}")
    by_url = client.post(f"/v1/ingest/{world['a_url']}/openalpr", content=json.dumps(message),
                         headers=ALPRD)
    assert by_url.status_code == 200, by_url.text
    by_key = client.post("/v1/reads/openalpr", content=json.dumps(message),
                         headers=ALPRD | {"X-API-Key": world["a_key"]})
    assert by_key.status_code in (409, 422), by_key.text  # an unknown camera to A
    frigate = {"type": "lpr", "camera": "atk-driveway", "plate": plate, "score": 0.9,
               "timestamp": datetime.now(UTC).timestamp()}
    refused = client.post("/v1/reads/frigate", json=frigate,
                          headers={"X-API-Key": world["a_key"]})
    assert refused.status_code == 422 and "unknown camera" in refused.text
    assert rows_of_camera(client, B_CAM, plate) == []
    assert {r["owner_id"] for r in rows_of_plate(client, plate)} == {seed.ucpd_id}
    # and A's admin neither sees nor removes B's aliases
    ucpd_admin = login(client, "ucpd-admin")
    listed = client.get("/v1/admin/camera-aliases", headers=ucpd_admin)
    assert listed.status_code == 200 and "atk-driveway" not in listed.text
    gone = client.delete("/v1/admin/camera-aliases/frigate/atk-driveway", headers=ucpd_admin)
    assert gone.status_code == 404
    mapped = client.post("/v1/admin/camera-aliases", headers=ucpd_admin, json={
        "source_format": "frigate", "external_key": "atk-driveway", "camera_id": B_CAM})
    assert mapped.status_code == 404  # B's camera is no alias target for A
    still = client.get("/v1/admin/camera-aliases", headers=fpd_admin).json()
    assert ("frigate", "atk-driveway", B_CAM) in {
        (a["source_format"], a["external_key"], a["camera_id"]) for a in still}


# -- API keys and ?camera= ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["openalpr", "frigate", "rekor", "platerecognizer",
                                 "plate_minder", "csv", "native"])
def test_a_key_cannot_post_reads_of_another_agencys_camera_through_camera_query(
    client: TestClient, world: dict[str, str], seed: Seed, fmt: str
) -> None:
    plate = unique_plate("7CAM")
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    message = json.loads(ALPRD_BODY)
    message["results"][0]["plate"] = plate
    message.update(epoch_time=now_ms, uuid=f"x-{plate}")
    bodies = {
        "openalpr": json.dumps(message),
        "plate_minder": json.dumps(message),
        "frigate": json.dumps({"type": "lpr", "camera": A_CAM, "plate": plate, "score": 0.9,
                               "timestamp": now_ms / 1000}),
        "native": json.dumps({"camera_id": A_CAM, "ts": now_iso(), "plate": plate,
                              "confidence": 0.9}),
        "csv": f"camera_id,ts,plate,confidence\r\n{A_CAM},{now_iso()},{plate},0.9\r\n",
    }
    rekor = json.loads(json.dumps(REKOR))
    rekor.update(epoch_start=now_ms, best_plate_number=plate, best_uuid=f"r-{plate}")
    bodies["rekor"] = json.dumps(rekor)
    webhook = json.loads(json.dumps(WEBHOOK))
    webhook["data"]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    webhook["data"]["results"][0]["plate"] = plate.lower()
    bodies["platerecognizer"] = json.dumps(webhook)
    content_type = "text/csv" if fmt == "csv" else "application/json"
    for key in (world["a_key"], world["a_cam_key"]):
        posted = client.post(f"/v1/reads/{fmt}", params={"camera": B_CAM},
                             content=bodies[fmt],
                             headers={"X-API-Key": key, "Content-Type": content_type})
        assert posted.status_code in (409, 422), posted.text
        assert posted.json().get("accepted", []) == []
    assert rows_of_camera(client, B_CAM, plate) == []
    assert [r for r in rows_of_plate(client, plate) if r["owner_id"] != seed.ucpd_id] == []


def test_a_camera_key_posts_only_its_camera_and_a_native_post_names_no_owner(
    client: TestClient, world: dict[str, str], seed: Seed
) -> None:
    plate = unique_plate("7SCP")
    items = [
        {"camera_id": A_CAM_2, "ts": now_iso(), "plate": plate, "confidence": 0.9},
        {"camera_id": B_CAM, "ts": now_iso(), "plate": plate, "confidence": 0.9},
        {"camera_id": A_CAM, "ts": now_iso(), "plate": plate, "confidence": 0.9,
         "owner_id": seed.fpd_id, "origin_state": "NH", "expires_at": "2099-01-01T00:00:00Z",
         "hit": True},
    ]
    posted = client.post("/v1/reads", json=items, headers={"X-API-Key": world["a_cam_key"]})
    assert posted.status_code == 200, posted.text
    assert [e["index"] for e in posted.json()["errors"]] == [0, 1]
    [read_id] = posted.json()["accepted"]
    store = client.app.state.store  # type: ignore[attr-defined]
    [row] = store.query(
        "SELECT owner_id, camera_id, origin_state, hit, expires_at FROM {db}.reads "
        "WHERE read_id = {id:UUID}", {"id": read_id}).to_pylist()
    assert (row["owner_id"], row["camera_id"], row["origin_state"], row["hit"]) == (
        seed.ucpd_id, A_CAM, "CA", False)
    expires = row["expires_at"]
    limit = datetime(2099, 1, 1, tzinfo=UTC)
    assert (expires < limit.timestamp()) if isinstance(expires, int | float) else (
        expires.replace(tzinfo=UTC) < limit)
    # the URL route's `?camera=` is no way round its camera either
    own = json.loads(ALPRD_BODY)  # a read of its own (the captured one is other tests' too)
    own["results"][0]["plate"] = unique_plate("7PM")
    own.update(uuid=f"pm-{uuid.uuid4().hex}", epoch_time=int(datetime.now(UTC).timestamp() * 1000))
    via_url = client.post(f"/v1/ingest/{world['a_url']}/plate_minder",
                          params={"camera": B_CAM}, content=json.dumps(own), headers=ALPRD)
    assert via_url.status_code in (200, 409, 422)
    for read_id in via_url.json().get("accepted", []):
        assert rows_of(client, read_id)[0]["camera_id"] == A_CAM


# -- quarantine -------------------------------------------------------------------------


def _quarantine_on(client: TestClient, admin: dict[str, str], kind: str, raw: str) -> None:
    turned = client.put(f"/v1/admin/quarantine/credentials/{kind}/{raw.split('_')[1]}",
                        json={"enabled": True}, headers=admin)
    assert turned.status_code == 204, turned.text


def _held_item(client: TestClient, world: dict[str, str], key: str, plate: str,
               name: str) -> int:
    """An alprd post of camera ``name`` (unmapped) kept in the key's agency's quarantine."""
    message = json.loads(ALPRD_BODY)
    message["results"][0]["plate"] = plate
    message.update(epoch_time=int(datetime.now(UTC).timestamp() * 1000),
                   uuid=f"{name}-{uuid.uuid4().hex}", site_id=name.split("-cam")[0],
                   camera_id=int(name.split("-cam")[1]))
    posted = client.post("/v1/reads/openalpr", content=json.dumps(message),
                         headers=ALPRD | {"X-API-Key": world[key]})
    assert posted.status_code == 200, posted.text
    [item_id] = posted.json()["quarantined"]
    return int(item_id)


def test_an_admin_cannot_list_read_replay_or_discard_another_agencys_quarantine(
    client: TestClient, world: dict[str, str], seed: Seed
) -> None:
    fpd_admin, ucpd_admin = login(client, "fpd-admin"), login(client, "ucpd-admin")
    _quarantine_on(client, fpd_admin, "api_key", world["b_key"])
    plate = unique_plate("7QRN")
    b_item = _held_item(client, world, "b_key", plate, "fpd-yard-cam4")
    # A's admin turns quarantine on or off for B's credentials: as if they did not exist
    for kind, raw in (("api_key", world["b_key"]), ("ingest_url", world["b_url"])):
        for enabled in (True, False):
            refused = client.put(f"/v1/admin/quarantine/credentials/{kind}/{raw.split('_')[1]}",
                                 json={"enabled": enabled}, headers=ucpd_admin)
            assert refused.status_code == 404, refused.text
    # listing, filtered every way, shows A nothing of B's
    for params in ({}, {"status": "held"}, {"format": "openalpr"},
                   {"credential": world["b_key"].split("_")[1]}, {"reason": "unknown camera"},
                   {"reason": "fpd-yard"}, {"limit": 500, "offset": 0}):
        listed = client.get("/v1/admin/quarantine", params=params, headers=ucpd_admin)
        assert listed.status_code == 200, listed.text
        assert b_item not in {i["id"] for i in listed.json()["items"]}, params
        assert listed.json()["total"] == 0, params
    # every id, guessed one by one, answers alike whether or not it is B's
    for item_id in range(0, b_item + 5):
        for action in ("replay", "discard"):
            answer = client.post(f"/v1/admin/quarantine/{item_id}/{action}", headers=ucpd_admin)
            assert answer.status_code == 404, (item_id, action, answer.text)
            assert answer.json()["error"]["message"] == f"no quarantined item `{item_id}`"
    # B's own admin still holds it, untouched; B's alias fixes it; it replays as B's
    [item] = client.get("/v1/admin/quarantine", headers=fpd_admin).json()["items"]
    assert item["id"] == b_item and item["status"] == "held"
    added = client.post("/v1/admin/camera-aliases", headers=fpd_admin, json={
        "source_format": "openalpr", "external_key": "fpd-yard-cam4", "camera_id": B_CAM})
    assert added.status_code == 201
    # A's alias of the same name (to A's camera) changes nothing of B's replay
    mine = client.post("/v1/admin/camera-aliases", headers=ucpd_admin, json={
        "source_format": "openalpr", "external_key": "fpd-yard-cam4", "camera_id": A_CAM})
    assert mine.status_code == 201
    replayed = client.post(f"/v1/admin/quarantine/{b_item}/replay", headers=fpd_admin)
    assert replayed.status_code == 200, replayed.text
    assert [(r["owner_id"], r["camera_id"]) for r in rows_of_plate(client, plate)] == [
        (seed.fpd_id, B_CAM)]


def test_a_quarantined_item_replayed_concurrently_is_stored_once_and_resolved_once(
    client: TestClient, world: dict[str, str], seed: Seed
) -> None:
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "api_key", world["a_key"])
    plate = unique_plate("7RPL")
    item_id = _held_item(client, world, "a_key", plate, "atk-lot-cam7")
    added = client.post("/v1/admin/camera-aliases", headers=admin, json={
        "source_format": "openalpr", "external_key": "atk-lot-cam7", "camera_id": A_CAM})
    assert added.status_code == 201
    answers: list[int] = []
    barrier = threading.Barrier(4)

    def replay() -> None:
        barrier.wait()
        answers.append(client.post(f"/v1/admin/quarantine/{item_id}/replay",
                                   headers=admin).status_code)

    threads = [threading.Thread(target=replay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers).count(200) == 1, answers
    assert all(a in (200, 409) for a in answers), answers
    assert [(r["owner_id"], r["camera_id"]) for r in rows_of_plate(client, plate)] == [
        (seed.ucpd_id, A_CAM)]
    again = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert again.status_code == 409
    assert len(rows_of_plate(client, plate)) == 1
    entries = client.app.state.audit_log  # type: ignore[attr-defined]
    changes = [e["change"] for e in _entries(entries) if e.get("type") == "quarantine_change"
               and e.get("object_id") == str(item_id)]
    # one replay; each attempt that found the item held is logged as it started, before
    # it stored anything (the losers' reads were identical re-posts, stored once)
    assert changes.count("replay") == 1, changes
    assert 1 <= changes.count("replay_start") <= 4, changes
    assert set(changes) == {"replay_start", "replay"}, changes


def _entries(audit_log: Any) -> list[dict[str, Any]]:
    size = audit_log.size()
    return [dict(audit_log.entry(i).entry) for i in range(size)]


def test_a_replay_of_an_ingest_url_item_stays_with_its_agency_and_camera(
    client: TestClient, world: dict[str, str], seed: Seed
) -> None:
    """A's URL item naming B's camera (and B's alias name) replays as A's URL camera."""
    ucpd_admin, fpd_admin = login(client, "ucpd-admin"), login(client, "fpd-admin")
    added = client.post("/v1/admin/camera-aliases", headers=fpd_admin, json={
        "source_format": "native", "external_key": "shared-name", "camera_id": B_CAM})
    assert added.status_code == 201
    _quarantine_on(client, ucpd_admin, "ingest_url", world["a_url"])
    plate = unique_plate("7URQ")
    bad = [{"camera_id": "shared-name", "ts": now_iso(), "plate": plate, "confidence": 7},
           {"camera_id": B_CAM, "ts": now_iso(1), "plate": plate, "confidence": "x"}]
    posted = client.post(f"/v1/ingest/{world['a_url']}/native", json=bad)
    assert posted.status_code == 200, posted.text
    assert len(posted.json()["quarantined"]) == 2
    for item_id in posted.json()["quarantined"]:
        refused = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=fpd_admin)
        assert refused.status_code == 404
        again = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=ucpd_admin)
        assert again.status_code == 422  # still a bad confidence: stays held
    assert rows_of_plate(client, plate) == []


# -- bad input: never a 500, never a trace --------------------------------------------------

_NOW_MS = "1795539749125"
_JUNK_BODIES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("null", b"null"),
    ("number", b"12"),
    ("string", b'"x"'),
    ("nan", b"[NaN]"),
    ("nan field", b'{"camera_id":"ucpd-atk-1","ts":"2026-01-01T00:00:00Z","plate":"ABC123",'
                  b'"confidence":NaN}'),
    ("infinity", b"Infinity"),
    ("1e400", b'{"camera_id":"ucpd-atk-1","ts":1e400,"plate":"ABC123","confidence":1e400,'
              b'"lat":1e400,"lon":-1e400,"heading":1e400}'),
    ("huge int", b'{"camera_id":"ucpd-atk-1","ts":' + b"9" * 5000 + b',"plate":"ABC123",'
                 b'"confidence":1}'),
    ("huge ts", b'{"camera_id":"ucpd-atk-1","ts":99999999999999999999,"plate":"ABC123",'
                b'"confidence":1}'),
    ("negative ts", b'{"camera_id":"ucpd-atk-1","ts":-99999999999999,"plate":"ABC123",'
                    b'"confidence":1}'),
    ("deep array", b"[" * 100_000 + b"]" * 100_000),
    ("deep object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    ("not utf-8", b'\xff\xfe{"camera_id":"\xc3\x28"}'),
    ("lone surrogate plate", b'{"camera_id":"ucpd-atk-1","ts":"2026-01-01T00:00:00Z",'
                             b'"plate":"\\ud800","confidence":1}'),
    ("lone surrogate number", b'{"camera_id":"ucpd-atk-1","ts":"2026-01-01T00:00:00Z",'
                              b'"plate":"ABC123","confidence":"\\ud800"}'),
    ("lone surrogate vehicle", b'{"camera_id":"ucpd-atk-1","ts":"' + b"%TS%" + b'",'
                               b'"plate":"7SUR001","confidence":0.9,'
                               b'"vehicle":{"color":"\\udfff","make":"\\ud800x"}}'),
    ("lone surrogate camera", b'{"camera_id":"\\ud800","ts":"2026-01-01T00:00:00Z",'
                              b'"plate":"ABC123","confidence":1}'),
    ("lone surrogate key", b'{"\\ud800":1,"camera_id":"ucpd-atk-1","ts":"' + b"%TS%"
                           + b'","plate":"7SUR002","confidence":0.9}'),
    ("unicode", '{"camera_id":"カメラ","ts":"2026-01-01T00:00:00Z","plate":"ＡＢＣ１２３",'
                '"confidence":1,"region":"ＣＡ","vehicle":{"color":"\u202egreen"}}'.encode()),
    ("nul", b'{"camera_id":"ucpd-atk-1\\u0000","ts":"2026-01-01T00:00:00Z",'
            b'"plate":"ABC\\u0000123","confidence":1}'),
    ("nested junk", b'[{"camera_id":[[[]]],"ts":{"a":{}},"plate":[1,[2]],"confidence":{},'
                    b'"vehicle":[],"images":"x","candidates":{"plate":1},"plate_box":7}]'),
    ("bool numbers", b'{"camera_id":"ucpd-atk-1","ts":true,"plate":true,"confidence":true,'
                     b'"lat":false,"lon":true}'),
    ("openalpr junk", b'{"data_type":"alpr_results","epoch_time":"x","results":{"a":1},'
                      b'"uuid":[1],"site_id":{},"camera_id":1e400}'),
    ("openalpr huge", b'{"epoch_time":1e400,"results":[{"plate":"\\ud800","confidence":1e999,'
                      b'"plate_index":' + b"9" * 400 + b'}],"uuid":"u","camera_id":1}'),
    ("rekor junk", b'{"data_type":"alpr_group","epoch_start":' + b"9" * 400 + b','
                   b'"best_plate":{"plate":[]},"vehicle":{"year":1e400},"candidates":7}'),
    ("frigate junk", b'{"type":"lpr","camera":{"a":1},"plate":"\\ud800","score":1e400,'
                     b'"timestamp":"nan"}'),
    ("platerecognizer junk", b'{"hook":{"event":{}},"data":{"camera_id":[],"timestamp":1,'
                             b'"results":[{"plate":7,"score":"x","region":[],"box":"x",'
                             b'"direction":1e400,"candidates":[null]}]}}'),
    ("many items", b"[" + b",".join([b"{}"] * 10_001) + b"]"),
]
_CSV_BODIES: list[tuple[str, bytes]] = [
    ("csv header only", b"camera_id,ts,plate,confidence\r\n"),
    ("csv no header", b"\r\n"),
    ("csv junk", b"camera_id,ts,plate,confidence,lat,lon,heading,read_id\r\n"
                 b"ucpd-atk-1,nan,ABC123,nan,inf,-inf,1e400,not-a-uuid\r\n"
                 b"ucpd-atk-1," + b"9" * 400 + b",\xe2\x80\xae,1e999,,,,\r\n"
                 b'"unterminated,quote\r\n'),
    ("csv huge ts", b"camera_id,ts,plate,confidence\r\nucpd-atk-1,99999999999999999999,"
                    b"ABC123,1\r\nucpd-atk-1,-1e300,ABC123,1\r\n"),
    ("csv nul", b"camera_id,ts,plate,confidence\r\nucpd-atk-1\x00,2026-01-01T00:00:00Z,"
                b"AB\x00C,1\r\n"),
]


@pytest.fixture
def raw_client(client: TestClient) -> TestClient:
    """The same running app, answering a server error as a 500 instead of raising."""
    return TestClient(client.app, raise_server_exceptions=False)


def _no_trace(answer: Any, what: Any, failures: list[Any] | None = None) -> None:
    """A 4xx (or 503), and no trace; with ``failures``, each failure is noted there."""
    text = answer.text
    bad = (answer.status_code >= 500 and answer.status_code != 503) or (
        "Traceback" in text or 'File "' in text)
    if bad and failures is not None:
        failures.append((what, answer.status_code, text[:200]))
        return
    assert not bad, (what, answer.status_code, text[:400])


@pytest.mark.parametrize("quarantine", [False, True], ids=["plain", "quarantine"])
def test_malformed_bodies_never_answer_500_or_show_a_trace(
    raw_client: TestClient, client: TestClient, world: dict[str, str], quarantine: bool
) -> None:
    if quarantine:
        admin = login(client, "ucpd-admin")
        _quarantine_on(client, admin, "api_key", world["a_key"])
        _quarantine_on(client, admin, "ingest_url", world["a_url"])
    ts = now_iso().encode()
    failures: list[Any] = []
    formats = ["native", "openalpr", "rekor", "frigate", "platerecognizer", "plate_minder"]
    for name, body in _JUNK_BODIES:
        body = body.replace(b"%TS%", ts)
        for fmt in formats:
            for path, headers in (
                (f"/v1/reads/{fmt}", {"X-API-Key": world["a_key"]}),
                (f"/v1/ingest/{world['a_url']}/{fmt}", {}),
            ):
                answer = raw_client.post(path, content=body, params={"camera": A_CAM}
                                         if fmt == "plate_minder" else None,
                                         headers=headers | {"Content-Type": "application/json"})
                _no_trace(answer, (name, fmt, "key" if headers else "url"), failures)
        for content_type in ("application/x-ndjson", None):
            answer = raw_client.post("/v1/reads", content=body, headers={
                "X-API-Key": world["a_key"]} | ({"Content-Type": content_type}
                                                 if content_type else {}))
            _no_trace(answer, (name, "/v1/reads", content_type), failures)
    for name, body in _CSV_BODIES:
        for path, headers in (("/v1/reads/csv", {"X-API-Key": world["a_key"]}),
                              ("/v1/reads", {"X-API-Key": world["a_key"]}),
                              (f"/v1/ingest/{world['a_url']}/csv", {})):
            answer = raw_client.post(path, content=body,
                                     headers=headers | {"Content-Type": "text/csv"})
            _no_trace(answer, (name, path.split("/")[-1]), failures)
    assert failures == [], "\n".join(map(str, failures))


def test_odd_headers_queries_and_multiparts_never_answer_500(
    raw_client: TestClient, world: dict[str, str]
) -> None:
    key = {"X-API-Key": world["a_key"]}
    webhook = json.dumps(WEBHOOK).encode()
    cases: list[tuple[str, dict[str, str], bytes, dict[str, str] | None]] = [
        ("/v1/reads/platerecognizer", key | {"Content-Type": "multipart/form-data"},
         webhook, None),
        ("/v1/reads/platerecognizer", key | {"Content-Type": "multipart/form-data; boundary="},
         b"--\r\n\r\n", None),
        ("/v1/reads/platerecognizer", key | {"Content-Type": "multipart/form-data; boundary=b"},
         b"--b\r\nContent-Disposition: form-data; name=json\r\n\r\n{}\r\n--b--\r\n", None),
        ("/v1/reads/platerecognizer", key | {"Content-Type": "multipart/form-data; boundary=b"},
         b"--b\r\nContent-Disposition: form-data; name=\"json\"; filename*=utf-8''%ff%fe\r\n"
         b"Content-Transfer-Encoding: base64\r\n\r\n!!!notbase64\r\n--b--\r\n", None),
        ("/v1/reads", key | {"Content-Type": "text/csv; charset=utf-16"}, b"\xff\xfe\x00", None),
        ("/v1/reads", key | {"Content-Type": "x" * 10_000}, b"[]", None),
        ("/v1/reads", key | {"Content-Length": "abc"}, b"[]", None),
        ("/v1/reads/openalpr", key, ALPRD_BODY, {"camera": "\u30ab" * 64}),
        ("/v1/reads/openalpr", key, ALPRD_BODY, {"camera": "a" * 65}),
        ("/v1/reads/openalpr", key, ALPRD_BODY, {"camera": "\x00"}),
        ("/v1/reads/unknown-format", key, b"[]", None),
        ("/v1/reads/openalpr", {"X-API-Key": "plk_" + "0" * 12 + "_" + "x" * 5000}, b"[]", None),
        (f"/v1/ingest/{world['a_url']}/unknown-format", {}, b"[]", None),
        ("/v1/ingest/pli_" + "g" * 12 + "_x/openalpr", {}, b"[]", None),
        ("/v1/ingest/" + "pli_" + "0" * 12 + "_" + "y" * 180 + "/openalpr", {}, b"[]", None),
        ("/v1/ingest/%00%ff/openalpr", {}, b"[]", None),
    ]
    for path, headers, body, params in cases:
        answer = raw_client.post(path, content=body, headers=headers, params=params)
        _no_trace(answer, (path, headers.get("Content-Type"), params))


def test_a_lone_surrogate_in_a_native_read_is_refused_with_a_4xx_not_a_500(
    raw_client: TestClient, world: dict[str, str]
) -> None:
    """JSON may escape a lone UTF-16 surrogate (``"\\ud800"``); Python decodes it, and an
    error message quoting it cannot be encoded as UTF-8 in the answer."""
    for field, value in (("plate", "\\ud800"), ("confidence", "\\ud800"),
                         ("camera_id", "\\ud800"), ("vehicle", '{"color":"\\udfff"}')):
        quoted = value if value.startswith("{") else f'"{value}"'
        item = {"camera_id": A_CAM, "ts": now_iso(), "plate": unique_plate("7SUR"),
                "confidence": 0.9}
        text = json.dumps(item)[:-1] + f', "{field}": {quoted}}}'
        for path, headers in (("/v1/reads", {"X-API-Key": world["a_key"]}),
                              (f"/v1/ingest/{world['a_url']}/native", {})):
            answer = raw_client.post(path, content=text.encode(),
                                     headers=headers | {"Content-Type": "application/json"})
            assert answer.status_code in (400, 422), (field, path, answer.status_code,
                                                      answer.text[:200])


def test_an_ndjson_line_that_is_not_utf8_is_kept_in_quarantine_and_answered_2xx(
    raw_client: TestClient, client: TestClient, world: dict[str, str], seed: Seed
) -> None:
    """Quarantine mode: one good NDJSON line and one that is not UTF-8. The good read is
    stored, the bad line is kept, and the client (alprd-like: any answer is delivered) is
    answered 200 — not a 500 after the good read was stored and the bad one dropped."""
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "api_key", world["a_key"])
    plate = unique_plate("7NDJ")
    good = json.dumps({"camera_id": A_CAM, "ts": now_iso(), "plate": plate,
                       "confidence": 0.9}).encode()
    body = good + b"\n" + b'{"camera_id":"\xff\xfe","plate":"7BAD"}' + b"\n"
    answer = raw_client.post("/v1/reads", content=body, headers={
        "X-API-Key": world["a_key"], "Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200, (answer.status_code, answer.text[:200])
    assert len(answer.json()["quarantined"]) == 1
    assert [r["owner_id"] for r in rows_of_plate(client, plate)] == [seed.ucpd_id]


def test_no_agreement_no_image_guessing_the_read_id_and_naming_its_image_reveals_nothing(
    client: TestClient, seed: Seed, world: dict[str, str]
) -> None:
    """The two steps chained, with no agreement at all: A suspects a plate passed B's camera
    during one second; A's key probes the 1,000 derived ids of that second; A's key posts a
    read naming the image reference of the id found; A's investigator opens it. The
    promise: A learns nothing of B's read, and never receives B's frame."""
    plate = unique_plate("7CHN")
    b_read, frame = b_posts_a_webhook_with_image(client, world, plate)
    assert rows_of(client, b_read)[0]["owner_id"] == seed.fpd_id
    # (the webhook's time is whole seconds; the test's clue is "about now")
    webhook_second = datetime.now(UTC).replace(microsecond=0)
    found: str | None = None
    for start in (webhook_second, webhook_second - timedelta(seconds=1)):
        guesses = [{"read_id": str(derive_read_id(B_CAM, start + timedelta(milliseconds=ms),
                                                  plate)),
                    "camera_id": A_CAM, "ts": now_iso(), "plate": unique_plate("7JNK"),
                    "confidence": 0.5} for ms in range(1000)]
        probe = client.post("/v1/reads", json=guesses, headers={"X-API-Key": world["a_key"]})
        told = [e["index"] for e in probe.json().get("errors", [])
                if e["code"] == "read_conflict"]
        if told:
            found = guesses[told[0]]["read_id"]
            break
    assert found is None, f"A learned B's read id by probing (B's: {found == b_read})"
    found = b_read  # and even knowing it (from an earlier shared search, say): no frame
    a_plate = unique_plate("7OWN")
    ref = f"local:{uuid.UUID(found).hex[:2]}/{found}.overview.jpg"
    posted = client.post("/v1/reads", headers={"X-API-Key": world["a_key"]}, json=[{
        "camera_id": A_CAM, "ts": now_iso(), "plate": a_plate, "confidence": 0.9,
        "images": {"overview": ref}}])
    assert posted.status_code == 200, posted.text
    [a_read] = posted.json()["accepted"]
    ivy = login(client, "ivy", code(seed.investigator_totp))
    shown = client.get(f"/v1/reads/{a_read}/images/overview",
                       params={"plate": a_plate} | VIEW, headers=ivy)
    assert shown.content != frame, (
        "with no agreement, A opened B's frame through a read of its own naming it")
