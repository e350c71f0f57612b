"""What vendors send beside the plate, over HTTP on the real app, catalog and store: the
captured ``alprd`` post, whose top choice was wrong and second candidate right, is found
by an exact search for the true plate, marked as a candidate match, only within the
searcher's decided scope; a Plate Recognizer webhook's frame is stored as the read's
overview image, shown to an allowed user and not to a denied one."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.recognize.synthetic import synthetic_frames
from plateledger.settings import Settings
from plateledger.store.candidates import candidates_of, details_of
from tests.api.conftest import PASSWORD, Seed, code, login

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
BODY = (FORMATS / "openalpr_alprd_post.json").read_bytes()
ALPRD = {"Accept": "application/json", "Content-Type": "application/json", "charsets": "utf-8"}
TRUE_PLATE = "Y69X2G"  # the daemon's second candidate (../shared/formats/README.md)
SEARCH = {
    "purpose": "stolen_vehicle",
    "offense_type": "240",
    "case_number": "UC-2026-0042",
    "reason": "stolen white pickup",
}


@pytest.fixture
def world(settings: Settings, seed: Seed) -> dict[str, str]:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.add_camera("ucpd-lot-north-1", seed.ucpd_id, lat=37.59, lon=-122.02)
        fremont = new_totp_secret()
        catalog.add_user(seed.fpd_id, "fred", PASSWORD, ["investigator"], totp_secret=fremont)
        return {
            "url": catalog.issue_ingest_url(seed.ucpd_id, "ucpd-lot-north-1", "alprd"),
            "key": catalog.issue_api_key(seed.ucpd_id, label="stream"),
            "fremont": fremont,
        }
    finally:
        catalog.close()


def exact(client: TestClient, headers: dict[str, str], plate: str) -> dict[str, Any]:
    response = client.post(
        "/v1/searches", headers=headers, json={"kind": "exact", "params": {"plate": plate}} | SEARCH
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_exact_search_finds_the_alprd_read_by_its_second_candidate(
    client: TestClient, seed: Seed, world: dict[str, str]
) -> None:
    posted = client.post(f"/v1/ingest/{world['url']}/openalpr", content=BODY, headers=ALPRD)
    assert posted.status_code == 200, posted.text
    [read_id] = posted.json()["accepted"]
    store = client.app.state.store  # type: ignore[attr-defined]
    kept = candidates_of(store.engine, uuid.UUID(read_id))
    assert [p for p, _ in kept][:2] == ["YG9X2G", TRUE_PLATE]
    details = details_of(store.engine, uuid.UUID(read_id))
    assert details is not None
    assert (details["image_width"], details["image_height"]) == (1920, 1080)
    assert details["box"] == [936, 354, 1031, 358, 1027, 421, 932, 417]

    ivy = login(client, "ivy", code(seed.investigator_totp))
    # (the store is shared between tests: other posts of this capture may show too)
    found = {r["read_id"]: r for r in exact(client, ivy, TRUE_PLATE)["results"]}
    read = found[read_id]
    assert read["plate"] == "YG9X2G"
    assert read["candidate_confidence"] == pytest.approx(0.8188, abs=1e-4)
    assert all(r["plate"] == TRUE_PLATE or r["candidate_confidence"] for r in found.values())
    top = {r["read_id"]: r for r in exact(client, ivy, "YG9X2G")["results"]}
    assert top[read_id]["candidate_confidence"] is None  # the plate itself
    assert exact(client, ivy, "YGSX2Z")["total"] == 0  # not a candidate

    # Fremont has no agreement with Union City: neither the plate nor its candidate shows
    # (Fremont's own reads of this capture, posted by other tests into the shared store,
    # may show: none of Union City's does)
    fred = login(client, "fred", code(world["fremont"]))
    for plate in (TRUE_PLATE, "YG9X2G"):
        shown = exact(client, fred, plate)
        assert read_id not in {r["read_id"] for r in shown["results"]}
        assert all(r["owner_id"] != seed.ucpd_id for r in shown["results"])
        assert shown["total"] == len(shown["results"])


def multipart(webhook: dict[str, Any], image: bytes) -> tuple[bytes, str]:
    boundary = "plateledgerboundary"
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


def test_a_webhook_image_is_stored_and_shown_only_to_an_allowed_user(
    client: TestClient, seed: Seed, world: dict[str, str]
) -> None:
    webhook = json.loads((FORMATS / "platerecognizer_stream_webhook.json").read_text())
    webhook["data"]["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    frame = b"\xff\xd8\xff\xe0" + b"frame of camera 12" * 50 + b"\xff\xd9"
    body, content_type = multipart(webhook, frame)
    posted = client.post(
        "/v1/reads/platerecognizer",
        content=body,
        params={"camera": "ucpd-lot-north-1"},
        headers={"X-API-Key": world["key"], "Content-Type": content_type},
    )
    assert posted.status_code == 200, posted.text
    [read_id] = posted.json()["accepted"]
    params = {"plate": "6TRJ244"} | {k: SEARCH[k] for k in ("purpose", "reason", "case_number")}
    ivy = login(client, "ivy", code(seed.investigator_totp))
    shown = client.get(f"/v1/reads/{read_id}/images/overview", params=params, headers=ivy)
    assert shown.status_code == 200, shown.text
    assert shown.content == frame
    fred = login(client, "fred", code(world["fremont"]))
    denied = client.get(f"/v1/reads/{read_id}/images/overview", params=params, headers=fred)
    assert denied.status_code in (403, 404) and denied.content != frame


def test_a_native_reads_candidates_find_it_within_scope_only(
    client: TestClient, seed: Seed, world: dict[str, str]
) -> None:
    """Our own agent sends what its recogniser was unsure of (the raw read and the second
    choices of unsure characters): an exact search for a candidate finds the read, marked
    with the candidate's probability, for an allowed user and for nobody else."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    read = {"camera_id": "ucpd-lot-north-1", "ts": when, "plate": "4SQH590",
            "confidence": 0.61,
            "candidates": [{"plate": "4SQH590", "confidence": 0.61},
                           {"plate": "LSQH590", "confidence": 0.34}],
            "plate_box": {"x": 264, "y": 219, "w": 76, "h": 25}}
    posted = client.post("/v1/reads", json=[read], headers={"X-API-Key": world["key"]})
    assert posted.status_code == 200, posted.text
    [read_id] = posted.json()["accepted"]
    store = client.app.state.store  # type: ignore[attr-defined]
    assert candidates_of(store.engine, uuid.UUID(read_id)) == [
        ("4SQH590", pytest.approx(0.61)), ("LSQH590", pytest.approx(0.34))]
    details = details_of(store.engine, uuid.UUID(read_id))
    assert details is not None and details["box"] == [264, 219, 340, 244]

    ivy = login(client, "ivy", code(seed.investigator_totp))
    found = {r["read_id"]: r for r in exact(client, ivy, "LSQH590")["results"]}
    assert found[read_id]["plate"] == "4SQH590"
    assert found[read_id]["candidate_confidence"] == pytest.approx(0.34)
    fred = login(client, "fred", code(world["fremont"]))
    assert exact(client, fred, "LSQH590")["total"] == 0

    # a bad candidate refuses its read with the field named, and nothing else
    bad = dict(read, plate="4SQH591", candidates=[{"plate": "LSQH5?0", "confidence": 0.3}])
    refused = client.post("/v1/reads", json=[bad], headers={"X-API-Key": world["key"]})
    assert refused.status_code == 422
    [error] = refused.json()["error"]["details"]
    assert error["field"] == "candidates[0].plate" and "may hold only" in error["message"]


def test_a_photos_readings_are_stored_with_its_read(
    client: TestClient, seed: Seed, world: dict[str, str]
) -> None:
    """``POST /v1/images``: the recogniser read ``MZQ8431`` and was unsure of the ``Q``
    (``MZO8431`` 8 %): the answer lists the readings kept, and an exact search for the
    second one finds the read, marked as a candidate match."""
    shot = list(synthetic_frames(27, 9001))[26]
    posted = client.post(
        "/v1/images", headers={"X-API-Key": world["key"]},
        files={"image": ("frame.jpg", shot.jpeg(quality=95), "image/jpeg")},
        data={"camera_id": "ucpd-lot-north-1"},
    )
    assert posted.status_code == 200, posted.text
    body = posted.json()
    [read] = [r for r in body["recognitions"] if r["plate"] == shot.plate == "MZQ8431"]
    assert read["raw"] == "MZQ8431"
    kept = dict(read["candidates"])
    assert kept["MZQ8431"] > 0.5 and 0.01 < kept["MZO8431"] < 0.5
    assert all(p > 0 for p in kept.values())
    assert len(body["accepted"]) == len(body["recognitions"])  # (in the same order)
    read_id = body["accepted"][body["recognitions"].index(read)]
    store = client.app.state.store  # type: ignore[attr-defined]
    assert dict(candidates_of(store.engine, uuid.UUID(read_id))) == pytest.approx(kept)

    ivy = login(client, "ivy", code(seed.investigator_totp))
    found = {r["read_id"]: r for r in exact(client, ivy, "MZO8431")["results"]}
    assert found[read_id]["plate"] == "MZQ8431"
    assert found[read_id]["candidate_confidence"] == pytest.approx(kept["MZO8431"])
