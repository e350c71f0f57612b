"""Attacks on read ids scoped to their owner agency, through the HTTP API, on every way in.

The promise (docs/formats.md, *A read id is stored once*): a read id a client sends names a
read of the sending agency only — it is stored as `owner_read_id(owner, client id)`; a read
sent without one is stored under the id derived from camera, time and plate (a camera has
one owner). So, whatever the route (native JSON and NDJSON, the vendor formats, ingest URLs,
``POST /v1/images``, a quarantine replay), one agency's ingest credential can never:

* learn whether another agency holds a read (no ``read_conflict`` across agencies);
* claim in advance the ids another agency's cameras will send;
* write, replace or be served another agency's stored images;

while an agency's own retries stay idempotent: the same post twice gives the same accepted
ids and stores nothing twice, and an image already stored is never replaced.

World (tests/api/test_ingest_between_agencies.py): Union City (A) with two cameras, an
agency key, a camera key and an ingest URL; Fremont (B) with one camera, its key and its
ingest URL. Real app, SQLite catalog and chDB store (shared by the session: every test uses
plates and vendor ids of its own).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.ingest.adapters.fields import read_id as vendor_read_id
from plateledger.read import derive_read_id, owner_read_id
from tests.api.conftest import Seed, code, login
from tests.api.test_ingest_between_agencies import (  # noqa: F401  (fixture used by name)
    A_CAM,
    ALPRD,
    ALPRD_BODY,
    B_CAM,
    REKOR,
    VIEW,
    WEBHOOK,
    _quarantine_on,
    multipart,
    rows_of,
    rows_of_plate,
    unique_plate,
    world,
)
from tests.factories import make_read

ID_FORMATS = ["native", "ndjson", "csv", "openalpr", "rekor", "rekor_alert"]
"""Formats in which the client (or its vendor) names the read's id."""
DERIVED_FORMATS = ["plate_minder", "frigate", "platerecognizer", "platerecognizer_image"]
"""Formats whose reads carry no id of their own: theirs is derived from camera, time, plate."""


# -- bodies -------------------------------------------------------------------------------


def _frame(label: str) -> bytes:
    """A JPEG-looking frame that says whose it is."""
    return b"\xff\xd8\xff\xe0" + label.encode() * 40 + b"\xff\xd9"


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


class Sent:
    """One read as a vendor would send it: its plate, moment (epoch ms), confidence and
    the vendor's own id (``vendor``: text, as alprd's and Rekor's ids are)."""

    def __init__(self, plate: str, ms: int, vendor: str, confidence: float = 0.9) -> None:
        self.plate, self.ms, self.vendor, self.confidence = plate, ms, vendor, confidence

    @property
    def client_uuid(self) -> uuid.UUID:
        """The UUID our native and CSV formats carry (a vendor id of our own agent)."""
        return uuid.uuid5(uuid.NAMESPACE_URL, self.vendor)

    def client_id(self, fmt: str) -> uuid.UUID | None:
        """The id the adapter of ``fmt`` reads from the body (None: derived)."""
        if fmt in ("native", "ndjson", "csv"):
            return self.client_uuid
        if fmt == "openalpr":
            return vendor_read_id(self.vendor, "0")
        if fmt in ("rekor", "rekor_alert"):
            return vendor_read_id(self.vendor)
        return None

    def stored_id(self, fmt: str, owner: int, camera: str) -> str:
        """The id the read must be stored (and acknowledged) under."""
        client = self.client_id(fmt)
        if client is not None:
            return str(owner_read_id(owner, client))
        return str(derive_read_id(camera, datetime.fromtimestamp(self.ms / 1000, UTC),
                                  self.plate))

    def body(self, fmt: str, camera: str, frame: bytes = b"") -> tuple[str, bytes, str]:
        """(the format path segment, the body, its content type); ``camera``: the name the
        payload gives its camera (a route may map or override it)."""
        native = {"read_id": str(self.client_uuid), "camera_id": camera, "ts": self.ms,
                  "plate": self.plate, "confidence": self.confidence}
        if fmt == "native":
            return "native", json.dumps([native]).encode(), "application/json"
        if fmt == "ndjson":
            return "native", (json.dumps(native) + "\n").encode(), "application/x-ndjson"
        if fmt == "csv":
            text = ("read_id,camera_id,ts,plate,confidence\r\n"
                    f"{self.client_uuid},{camera},{self.ms},{self.plate},{self.confidence}\r\n")
            return "csv", text.encode(), "text/csv"
        if fmt in ("openalpr", "plate_minder"):
            message = json.loads(ALPRD_BODY)
            message["results"][0].update(plate=self.plate, confidence=self.confidence * 100)
            message.update(epoch_time=self.ms, uuid=self.vendor, site_id="", camera_id=camera)
            if fmt == "plate_minder":
                for field in ("uuid", "site_id", "camera_id"):
                    message.pop(field)
            return fmt, json.dumps(message).encode(), "application/json"
        if fmt in ("rekor", "rekor_alert"):
            group = json.loads(json.dumps(REKOR))
            group.update(agent_uid=None, camera_id=camera, epoch_start=self.ms,
                         best_plate_number=self.plate, best_confidence=self.confidence * 100,
                         best_uuid=self.vendor)
            message = group if fmt == "rekor" else {"data_type": "alpr_alert", "group": group}
            return "rekor", json.dumps(message).encode(), "application/json"
        if fmt == "frigate":
            event = {"type": "lpr", "id": self.vendor, "camera": camera, "plate": self.plate,
                     "score": self.confidence, "timestamp": self.ms / 1000}
            return "frigate", json.dumps(event).encode(), "application/json"
        webhook = json.loads(json.dumps(WEBHOOK))
        webhook["data"].update(camera_id=camera, timestamp=_iso_ms(self.ms))
        webhook["data"]["results"][0].update(plate=self.plate.lower(), score=self.confidence)
        if fmt == "platerecognizer":
            return "platerecognizer", json.dumps(webhook).encode(), "application/json"
        body, content_type = multipart(webhook, frame or _frame(f"frame of {self.plate}"))
        return "platerecognizer", body, content_type


def _sent(prefix: str, seconds_ago: int = 30) -> Sent:
    plate = unique_plate(prefix)
    ms = int((datetime.now(UTC) - timedelta(seconds=seconds_ago)).timestamp() * 1000)
    return Sent(plate, ms, f"site-{uuid.uuid4().hex[:8]}-cam1-{ms}")


def post_by_key(client: TestClient, key: str, fmt: str, read: Sent, camera: str,
                frame: bytes = b"") -> Any:
    """``read`` in ``fmt`` through ``POST /v1/reads[/{format}]`` with an API key (a vendor
    format names its camera with ``?camera=``, as the docs tell)."""
    name, body, content_type = read.body(fmt, camera, frame)
    path = "/v1/reads" if fmt in ("native", "ndjson") else f"/v1/reads/{name}"
    params = None if fmt in ("native", "ndjson", "csv") else {"camera": camera}
    return client.post(path, content=body, params=params,
                       headers={"X-API-Key": key, "Content-Type": content_type})


def post_by_url(client: TestClient, url: str, fmt: str, read: Sent,
                frame: bytes = b"", camera: str = "vendor-name") -> Any:
    """``read`` in ``fmt`` through an ingest URL (stored as the URL's camera)."""
    name, body, content_type = read.body(fmt, camera, frame)
    return client.post(f"/v1/ingest/{url}/{name}", content=body,
                       headers={"Content-Type": content_type})


def accepted(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    assert answer.json()["errors"] == [], answer.text
    return list(answer.json()["accepted"])


def image_of(client: TestClient, read_id: str, kind: str = "overview") -> bytes | None:
    """The bytes the image store holds under ``read_id``'s own name."""
    images = client.app.state.images  # type: ignore[attr-defined]
    data = images.get(images.ref(uuid.UUID(read_id), kind))
    return None if data is None else bytes(data)


# -- one client id, two agencies -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ID_FORMATS)
def test_the_same_client_id_sent_by_two_agencies_names_two_reads_in_every_format(
    client: TestClient, world: dict[str, str], seed: Seed, fmt: str,  # noqa: F811
) -> None:
    """Fremont's device sends a read with its vendor id; Union City's key then sends the
    same vendor id with another plate and confidence (were the ids shared, a conflict). The
    promise: Union City gets a read of its own, under its own id, with no conflict and no
    word of Fremont's; Fremont's read is untouched, and Fremont's retry is still its own
    read, not taken by Union City's post."""
    theirs = _sent("7TWO")
    b_id = theirs.stored_id(fmt, seed.fpd_id, B_CAM)
    assert accepted(post_by_url(client, world["b_url"], fmt, theirs)) == [b_id]
    probe = Sent(unique_plate("7PRB"), theirs.ms - 7, theirs.vendor, confidence=0.4)
    a_answer = post_by_key(client, world["a_key"], fmt, probe, A_CAM)
    a_id = probe.stored_id(fmt, seed.ucpd_id, A_CAM)
    assert accepted(a_answer) == [a_id] and a_id != b_id
    assert b_id not in a_answer.text and theirs.plate not in a_answer.text
    assert [(r["owner_id"], r["camera_id"], r["plate"]) for r in rows_of(client, a_id)] == [
        (seed.ucpd_id, A_CAM, probe.plate)]
    assert [(r["owner_id"], r["camera_id"], r["plate"]) for r in rows_of(client, b_id)] == [
        (seed.fpd_id, B_CAM, theirs.plate)]
    # Fremont's retry (its daemon retries until answered) is its one read, still
    assert accepted(post_by_url(client, world["b_url"], fmt, theirs)) == [b_id]
    assert len(rows_of_plate(client, theirs.plate)) == 1


@pytest.mark.parametrize("fmt", ["openalpr", "rekor", "native"])
def test_ids_claimed_first_by_another_agency_leave_the_owners_posts_whole(
    client: TestClient, world: dict[str, str], seed: Seed, fmt: str,  # noqa: F811
) -> None:
    """Union City's URL posts, first, reads carrying the vendor ids Fremont's device will
    send (alprd's and Rekor's ids are ``<site>-cam<n>-<epoch ms>``: known ahead) with
    other plates. Fremont's posts then are stored as Fremont's, under Fremont's ids."""
    ahead = [_sent("7CLM", seconds_ago=-1) for _ in range(3)]
    for read in ahead:
        squat = Sent(unique_plate("7SQT"), read.ms, read.vendor, confidence=0.3)
        assert accepted(post_by_url(client, world["a_url"], fmt, squat)) == [
            squat.stored_id(fmt, seed.ucpd_id, A_CAM)]
    for read in ahead:
        got = accepted(post_by_key(client, world["b_key"], fmt, read, B_CAM))
        assert got == [read.stored_id(fmt, seed.fpd_id, B_CAM)]
        assert [(r["owner_id"], r["plate"]) for r in rows_of_plate(client, read.plate)] == [
            (seed.fpd_id, read.plate)]


def test_a_read_stored_before_ids_were_scoped_is_not_revealed_by_its_id(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    """Fremont's read stored before the upgrade keeps the client's id as sent (a predictable
    alprd id). Union City sending that very id (with another plate) learns nothing: a read
    of its own, no conflict; Fremont's read is unchanged."""
    plate = unique_plate("7OLD")
    vendor = f"fpd-old-cam1-{uuid.uuid4().hex}"
    legacy = vendor_read_id(vendor, "0")
    old = make_read(plate, camera=B_CAM, owner=seed.fpd_id, minutes_ago=5)
    old = old.model_copy(update={"read_id": legacy})  # as stored before: the id as sent
    client.app.state.store.insert_reads([old])  # type: ignore[attr-defined]
    probe = Sent(unique_plate("7PRB"), int(old.ts.timestamp() * 1000), vendor, 0.3)
    for fmt in ("openalpr", "native"):
        answer = post_by_key(client, world["a_key"], fmt, probe, A_CAM)
        assert accepted(answer) == [probe.stored_id(fmt, seed.ucpd_id, A_CAM)]
        assert str(legacy) not in answer.text
    assert [(r["owner_id"], r["plate"]) for r in rows_of(client, str(legacy))] == [
        (seed.fpd_id, plate)]


# -- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", ["api_key", "ingest_url"])
@pytest.mark.parametrize("fmt", ID_FORMATS + DERIVED_FORMATS)
def test_a_retry_is_acknowledged_with_the_same_ids_and_stored_once(
    client: TestClient, world: dict[str, str], seed: Seed, fmt: str, credential: str,  # noqa: F811
) -> None:
    """Every format, by key and by ingest URL: the same post twice is answered with the
    same accepted ids — the id the read is stored under (the client's id scoped to the
    owner, or the one derived from camera, time and plate) — and stored once."""
    read = _sent("7RTY")
    posts = []
    for _ in range(2):
        if credential == "api_key":
            posts.append(post_by_key(client, world["a_key"], fmt, read, A_CAM))
        else:
            posts.append(post_by_url(client, world["a_url"], fmt, read))
    first, again = (accepted(p) for p in posts)
    assert first == again == [read.stored_id(fmt, seed.ucpd_id, A_CAM)]
    assert [(r["owner_id"], r["camera_id"]) for r in rows_of_plate(client, read.plate)] == [
        (seed.ucpd_id, A_CAM)]


@pytest.mark.parametrize("fmt", ["openalpr", "rekor", "platerecognizer_image"])
def test_one_agencys_two_credentials_name_the_same_read(
    client: TestClient, world: dict[str, str], seed: Seed, fmt: str,  # noqa: F811
) -> None:
    """A read's id is its agency's, not its credential's: alprd's post through the ingest
    URL, re-sent through the agency key (and the camera key) for the same camera, is the
    same read, stored once."""
    read = _sent("7CRD")
    [by_url] = accepted(post_by_url(client, world["a_url"], fmt, read))
    assert accepted(post_by_key(client, world["a_key"], fmt, read, A_CAM)) == [by_url]
    assert accepted(post_by_key(client, world["a_cam_key"], fmt, read, A_CAM)) == [by_url]
    assert len(rows_of_plate(client, read.plate)) == 1


# -- webhook images --------------------------------------------------------------------------


def test_a_webhook_frame_is_kept_under_its_stored_read_and_never_replaced(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    """Plate Recognizer's webhook with its frame: the frame is written under the id the
    read is stored under, the read names exactly that image, and it is served for it. A
    retry carrying another frame is the same read, and the frame first stored stays."""
    read = _sent("7FRM")
    first, other = _frame("union city, first"), _frame("union city, retried")
    [read_id] = accepted(post_by_url(client, world["a_url"], "platerecognizer_image", read,
                                     frame=first))
    images = client.app.state.images  # type: ignore[attr-defined]
    [row] = rows_of(client, read_id)
    assert row["image_overview"] == images.ref(uuid.UUID(read_id), "overview")
    assert image_of(client, read_id) == first
    assert accepted(post_by_key(client, world["a_key"], "platerecognizer_image", read, A_CAM,
                                frame=other)) == [read_id]
    assert image_of(client, read_id) == first
    ivy = login(client, "ivy", code(seed.investigator_totp))
    shown = client.get(f"/v1/reads/{read_id}/images/overview",
                       params={"plate": read.plate} | VIEW, headers=ivy)
    assert shown.status_code == 200 and shown.content == first


@pytest.mark.parametrize("first", ["/v1/reads", "/v1/reads/platerecognizer"])
def test_a_webhook_with_image_keeps_its_frame_whichever_ingest_route_it_is_posted_to(
    client: TestClient, world: dict[str, str], seed: Seed, first: str,  # noqa: F811
) -> None:
    """``POST /v1/reads`` reads a multipart body as Plate Recognizer's webhook with image
    (docs/formats.md: chosen by content type), as ``POST /v1/reads/platerecognizer`` does.
    Either way the frame is stored under the read's id and named by the read, and the same
    webhook re-sent through the other route is the same read (a retry, not a conflict)."""
    read = _sent("7GEN")
    frame = _frame("union city's webhook frame")
    _, body, content_type = read.body("platerecognizer_image", A_CAM, frame)
    headers = {"X-API-Key": world["a_key"], "Content-Type": content_type}
    [read_id] = accepted(client.post(first, content=body, headers=headers))
    assert read_id == read.stored_id("platerecognizer_image", seed.ucpd_id, A_CAM)
    images = client.app.state.images  # type: ignore[attr-defined]
    assert rows_of(client, read_id)[0]["image_overview"] == images.ref(
        uuid.UUID(read_id), "overview")
    assert image_of(client, read_id) == frame
    other = "/v1/reads/platerecognizer" if first == "/v1/reads" else "/v1/reads"
    assert accepted(client.post(other, content=body, headers=headers)) == [read_id]
    assert len(rows_of_plate(client, read.plate)) == 1


def test_the_same_webhook_with_image_from_two_agencies_keeps_two_reads_and_two_frames(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    """Both agencies' Plate Recognizer Streams send the same webhook (camera name, moment,
    plate), each with its own frame, Fremont first. Each is a read of its own agency
    (stored as its URL's camera) with its own frame; neither frame is written over, nor
    served for the other's read."""
    read = _sent("7TWF")
    b_frame, a_frame = _frame("fremont's frame"), _frame("union city's frame")
    [b_id] = accepted(post_by_url(client, world["b_url"], "platerecognizer_image", read,
                                  frame=b_frame, camera="gate-cam"))
    [a_id] = accepted(post_by_url(client, world["a_url"], "platerecognizer_image", read,
                                  frame=a_frame, camera="gate-cam"))
    assert a_id != b_id
    assert (image_of(client, a_id), image_of(client, b_id)) == (a_frame, b_frame)
    assert {(r["owner_id"], r["camera_id"]) for r in rows_of_plate(client, read.plate)} == {
        (seed.ucpd_id, A_CAM), (seed.fpd_id, B_CAM)}
    ivy = login(client, "ivy", code(seed.investigator_totp))
    own = client.get(f"/v1/reads/{a_id}/images/overview",
                     params={"plate": read.plate} | VIEW, headers=ivy)
    assert own.status_code == 200 and own.content == a_frame
    theirs = client.get(f"/v1/reads/{b_id}/images/overview",
                        params={"plate": read.plate} | VIEW, headers=ivy)
    assert theirs.status_code in (403, 404) and b_frame not in theirs.content


def test_a_multipart_frame_goes_to_the_reads_of_its_own_webhook_only(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    """A multipart body whose JSON holds two webhooks: the frame is the first webhook's
    (each of its reads gets it); the second webhook's read has no image of it."""
    first, second = _sent("7MPA"), _sent("7MPB")
    hooks = []
    for read in (first, second):
        hook = json.loads(json.dumps(WEBHOOK))
        hook["data"].update(camera_id=A_CAM, timestamp=_iso_ms(read.ms))
        hook["data"]["results"][0]["plate"] = read.plate.lower()
        hooks.append(hook)
    frame = _frame("the first webhook's frame")
    body, content_type = multipart(hooks, frame)  # type: ignore[arg-type]
    answer = client.post("/v1/reads/platerecognizer", content=body,
                         headers={"X-API-Key": world["a_key"], "Content-Type": content_type})
    one, two = accepted(answer)
    assert image_of(client, one) == frame
    assert image_of(client, two) is None
    assert rows_of(client, two)[0]["image_overview"] == ""


# -- quarantine replay -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["openalpr", "rekor", "native", "ndjson", "csv", "frigate",
                                 "platerecognizer_image"])
def test_a_replayed_item_is_the_read_its_post_would_have_made(
    client: TestClient, world: dict[str, str], seed: Seed, fmt: str,  # noqa: F811
) -> None:
    """Union City's key in quarantine mode posts a read of a camera name not yet mapped;
    meanwhile Fremont posts the same vendor payload. After the alias, Union City's replay
    stores the read under the id a direct post gets (its own: Fremont's read neither blocks
    nor is touched by it), with its frame; the device's later retry is that same read."""
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "api_key", world["a_key"])
    read = _sent("7RPY")
    name = f"unmapped-{uuid.uuid4().hex[:8]}"
    frame = _frame("union city's quarantined frame")
    item, body, content_type = read.body(fmt, name, frame)
    path = "/v1/reads" if fmt in ("native", "ndjson") else f"/v1/reads/{item}"
    held = client.post(path, content=body,
                       headers={"X-API-Key": world["a_key"], "Content-Type": content_type})
    assert held.status_code == 200 and held.json()["accepted"] == [], held.text
    [item_id] = held.json()["quarantined"]
    b_id = read.stored_id(fmt, seed.fpd_id, B_CAM)
    assert accepted(post_by_url(client, world["b_url"], fmt, read,
                                frame=_frame("fremont's frame"), camera=name)) == [b_id]
    source = {"platerecognizer_image": "platerecognizer", "ndjson": "native"}.get(fmt, fmt)
    added = client.post("/v1/admin/camera-aliases", headers=admin, json={
        "source_format": source, "external_key": name, "camera_id": A_CAM})
    assert added.status_code == 201, added.text
    replayed = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    a_id = read.stored_id(fmt, seed.ucpd_id, A_CAM)
    assert {(r["read_id"], r["owner_id"]) for r in rows_of_plate(client, read.plate)} == {
        (a_id, seed.ucpd_id), (b_id, seed.fpd_id)}
    again = client.post(path, content=body,
                        headers={"X-API-Key": world["a_key"], "Content-Type": content_type})
    assert accepted(again) == [a_id]
    assert len(rows_of_plate(client, read.plate)) == 2
    if fmt == "platerecognizer_image":
        assert image_of(client, a_id) == frame
        assert image_of(client, b_id) == _frame("fremont's frame")


# -- vendor extras -----------------------------------------------------------------------------


def test_a_vendors_candidates_follow_the_read_of_the_agency_that_sent_them(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    """alprd's candidate plates are kept beside the read they came with: the same message
    id from two agencies keeps each agency's candidates with its own read (owned by it),
    and a retry adds none twice."""
    read = _sent("7CND")
    message = json.loads(ALPRD_BODY)
    message.update(epoch_time=read.ms, uuid=read.vendor)
    message["results"][0]["plate"] = read.plate
    message["results"][0]["candidates"] = [{"plate": read.plate, "confidence": 90.0},
                                           {"plate": read.plate[:-1] + "Q", "confidence": 70.0}]
    fremont = json.loads(json.dumps(message))
    fremont["results"][0]["candidates"][1]["plate"] = read.plate[:-1] + "Z"
    b = client.post(f"/v1/ingest/{world['b_url']}/openalpr", content=json.dumps(fremont),
                    headers=ALPRD)
    [b_id] = accepted(b)
    for _ in range(2):
        a = client.post("/v1/reads/openalpr", content=json.dumps(message),
                        params={"camera": A_CAM}, headers=ALPRD | {"X-API-Key": world["a_key"]})
        [a_id] = accepted(a)
    store = client.app.state.store  # type: ignore[attr-defined]
    rows = store.query(
        "SELECT toString(read_id) AS read_id, owner_id, plate FROM {db}.read_candidates "
        "WHERE read_plate = {plate:String} ORDER BY read_id, rank", {"plate": read.plate},
    ).to_pylist()
    mine = sorted(r["plate"] for r in rows if r["read_id"] == a_id)
    assert mine == sorted([read.plate, read.plate[:-1] + "Q"])
    assert {r["owner_id"] for r in rows if r["read_id"] == a_id} == {seed.ucpd_id}
    assert {r["owner_id"] for r in rows if r["read_id"] == b_id} == {seed.fpd_id}
    assert read.plate[:-1] + "Z" not in mine and {r["read_id"] for r in rows} == {a_id, b_id}


# -- POST /v1/images ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def photo() -> bytes:
    from plateledger.recognize.synthetic import synthetic_frames

    shot = next(iter(synthetic_frames(1, 9001)))
    return bytes(shot.jpeg(quality=95))


def test_a_photo_posted_by_two_agencies_makes_two_reads_each_with_its_own_crop(
    client: TestClient, world: dict[str, str], seed: Seed, photo: bytes,  # noqa: F811
) -> None:
    """The same photo at the same moment, recognised for Fremont's camera and then for
    Union City's: two reads, each crop written under its own read's id (derived: a camera
    has one owner). Union City's retry is the same read, its crop not written twice and
    Fremont's never touched."""
    when = (datetime.now(UTC) - timedelta(seconds=20)).isoformat(timespec="milliseconds")

    def post(key: str, camera: str) -> Any:
        return client.post("/v1/images", headers={"X-API-Key": key},
                           files={"image": ("frame.jpg", photo, "image/jpeg")},
                           data={"camera_id": camera, "ts": when})

    b_ids = accepted(post(world["b_key"], B_CAM))
    a_ids = accepted(post(world["a_key"], A_CAM))
    assert b_ids and a_ids and not set(a_ids) & set(b_ids)
    b_crops = {i: image_of(client, i, "plate") for i in b_ids}
    assert all(b_crops.values())
    for read_id in a_ids:
        [row] = rows_of(client, read_id)
        assert (row["owner_id"], row["camera_id"]) == (seed.ucpd_id, A_CAM)
        images = client.app.state.images  # type: ignore[attr-defined]
        assert row["image_plate"] == images.ref(uuid.UUID(read_id), "plate")
        assert image_of(client, read_id, "plate")
    assert accepted(post(world["a_key"], A_CAM)) == a_ids
    for read_id in a_ids + b_ids:
        assert len(rows_of(client, read_id)) == 1
    assert {i: image_of(client, i, "plate") for i in b_ids} == b_crops


# -- one read, however its id is spelled or wrapped ----------------------------------------------


@pytest.mark.parametrize("fmt", ["native", "csv"])
def test_a_client_id_spelled_another_way_is_the_same_read(
    client: TestClient, world: dict[str, str], seed: Seed, fmt: str,  # noqa: F811
) -> None:
    """A retry that spells the client's UUID otherwise (upper case, without hyphens, in
    braces, as a URN) names the same read: acknowledged with the same id, stored once."""
    read = _sent("7SPL")
    canonical = str(read.client_uuid)
    expected = [read.stored_id(fmt, seed.ucpd_id, A_CAM)]
    for spelling in (canonical, canonical.upper(), read.client_uuid.hex, f"{{{canonical}}}",
                     f"urn:uuid:{canonical}"):
        _, body, content_type = read.body(fmt, A_CAM)
        body = body.replace(canonical.encode(), spelling.encode())
        path = "/v1/reads" if fmt == "native" else "/v1/reads/csv"
        answer = client.post(path, content=body, headers={
            "X-API-Key": world["a_key"], "Content-Type": content_type})
        assert accepted(answer) == expected, spelling
    assert len(rows_of_plate(client, read.plate)) == 1


def test_a_rekor_group_its_alert_and_an_alpr_results_message_keep_their_ids_by_any_route(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    """Rekor's group and the alert wrapping it are one read; an ``alpr_results`` message
    posted to the Rekor route is the read the OpenALPR route makes of it. Each stored once,
    under the sending agency's id."""
    group = _sent("7GRP")
    [by_group] = accepted(post_by_key(client, world["a_key"], "rekor", group, A_CAM))
    assert accepted(post_by_url(client, world["a_url"], "rekor_alert", group)) == [by_group]
    assert by_group == group.stored_id("rekor", seed.ucpd_id, A_CAM)
    message = _sent("7RES")
    [by_openalpr] = accepted(post_by_key(client, world["a_key"], "openalpr", message, A_CAM))
    _, body, content_type = message.body("openalpr", A_CAM)
    via_rekor = client.post("/v1/reads/rekor", content=body, params={"camera": A_CAM},
                            headers={"X-API-Key": world["a_key"], "Content-Type": content_type})
    assert accepted(via_rekor) == [by_openalpr]
    for read in (group, message):
        assert len(rows_of_plate(client, read.plate)) == 1
