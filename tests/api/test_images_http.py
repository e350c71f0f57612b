"""Images through the real server: a camera's photo recognised and ingested with its crop,
and the crop opened only where policy allows it, each view logged first."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest

from plateledger.catalog import open_catalog
from plateledger.recognize.synthetic import synthetic_frames
from plateledger.settings import Settings
from tests.conftest import LiveServer

NOTHING = hashlib.sha256(b"").hexdigest()
"""The digest of an answer that returned no read."""
SEARCH = {"purpose": "stolen_vehicle", "offense_type": "240", "case_number": "UC-2026-0301",
          "reason": "a retried camera post"}
VIEW = {"purpose": "stolen_vehicle", "case_number": "UC-2026-0300",
        "reason": "confirm the plate of a stolen van"}


@pytest.fixture(scope="module")
def photographed(live_server: LiveServer) -> dict[str, Any]:
    """A Union City camera's photo, posted to /v1/images; Fremont gets an agreement that
    shares images, Hayward keeps the demo's (reads, no images)."""
    shot = next(iter(synthetic_frames(1, 9001)))
    response = httpx.post(
        f"{live_server.url}/v1/images", headers={"X-API-Key": live_server.camera_key},
        files={"image": ("frame.jpg", shot.jpeg(quality=95), "image/jpeg")},
        data={"camera_id": live_server.camera_id}, timeout=120,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"], body
    catalog = open_catalog(Settings(data_dir=live_server.data_dir, require_totp=False))
    try:
        ucpd, fpd = (catalog.agency_by_slug(s) for s in ("ucpd", "fpd"))
        assert ucpd is not None and fpd is not None
        catalog.add_agreement(ucpd.id, fpd.id, actions=("search",),
                              purposes=("stolen_vehicle",), created_by="ucpd.admin",
                              images_allowed=True)
    finally:
        catalog.close()
    return {"read_id": body["accepted"][0], "plate": body["recognitions"][0]["plate"],
            "truth": shot.plate}


def view(server: LiveServer, user: str, seen: dict[str, Any], kind: str = "plate",
         **extra: Any) -> httpx.Response:
    params = {"plate": seen["plate"], **VIEW, **extra}
    return httpx.get(f"{server.url}/v1/reads/{seen['read_id']}/images/{kind}", params=params,
                     headers={"Authorization": f"Bearer {server.token(user)}"}, timeout=60)


def last_entry(server: LiveServer, auditor: str = "ucpd.auditor") -> dict[str, Any]:
    size = httpx.get(f"{server.url}/v1/audit/entries", params={"limit": 1},
                     timeout=30).json()["size"]
    page = httpx.get(f"{server.url}/v1/audit/entries",
                     params={"start": size - 1, "limit": 1, "full": 1}, timeout=30,
                     headers={"Authorization": f"Bearer {server.token(auditor)}"})
    return dict(page.json()["entries"][0])


def test_a_photo_becomes_a_searchable_read_with_its_plate_crop(
    live_server: LiveServer, photographed: dict[str, Any]
) -> None:
    response = view(live_server, "ucpd.investigator", photographed)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content[:2] == b"\xff\xd8"
    entry = last_entry(live_server)["entry"]
    assert entry["type"] == "image_view" and entry["returned"] == 1
    assert entry["query"]["read_id"] == photographed["read_id"]
    assert entry["result_digest"] != NOTHING


def test_a_partner_whose_agreement_shares_images_may_open_them(
    live_server: LiveServer, photographed: dict[str, Any]
) -> None:
    assert view(live_server, "fpd.investigator", photographed).status_code == 200


def test_a_partner_sharing_reads_but_not_images_is_refused_and_logged(
    live_server: LiveServer, photographed: dict[str, Any]
) -> None:
    response = view(live_server, "hpd.investigator", photographed)
    assert response.status_code == 404, response.text
    assert response.content[:2] != b"\xff\xd8"
    item = last_entry(live_server, "hpd.auditor")
    entry = item["entry"]
    assert entry["type"] == "image_view" and entry["returned"] == 0
    assert entry["result_digest"] == NOTHING
    assert "ucpd" in [d["agency"] for d in entry["owners_denied"]]
    # The owner that refused sees who tried and under which rule, not what was asked.
    owners_view = httpx.get(
        f"{live_server.url}/v1/audit/entries/{item['index']}", params={"full": 1}, timeout=30,
        headers={"Authorization": f"Bearer {live_server.token('ucpd.auditor')}"}).json()
    assert owners_view["view"] == "denied" and "query" not in owners_view["entry"]


def test_the_federal_unit_is_refused_by_statute(
    live_server: LiveServer, photographed: dict[str, Any]
) -> None:
    response = view(live_server, "ice-ero-sf.investigator", photographed)
    assert response.status_code == 404
    assert "ca-civ-1798.90.55b-no-federal" in json.dumps(response.json()["error"]["details"])


def test_a_refused_read_answers_exactly_as_a_read_that_does_not_exist(
    live_server: LiveServer, photographed: dict[str, Any]
) -> None:
    """The federal unit learns nothing of which reads exist: a real read of a California
    owner and an id no read has get the same status and the same body but for the id."""
    real = view(live_server, "ice-ero-sf.investigator", photographed)
    missing = {**photographed, "read_id": str(uuid.uuid4())}
    invented = view(live_server, "ice-ero-sf.investigator", missing)
    assert real.status_code == invented.status_code == 404
    assert real.text.replace(photographed["read_id"], "ID") == invented.text.replace(
        missing["read_id"], "ID")


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"plate": "ZZZ9999"}, 404),           # not that read's plate
        ({"plate": "!!"}, 422),
        ({"purpose": "curiosity"}, 422),
        ({"kind": "thumbnail"}, 422),
        ({"kind": "overview"}, 404),           # the read has no overview image
    ],
)
def test_bad_image_requests_get_a_clear_4xx(
    live_server: LiveServer, photographed: dict[str, Any], change: dict[str, str], status: int
) -> None:
    kind = change.pop("kind", "plate")
    seen = {**photographed, **({"plate": change.pop("plate")} if "plate" in change else {})}
    response = view(live_server, "ucpd.investigator", seen, kind, **change)
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    assert json.loads(response.text)["error"]["message"]


@pytest.mark.parametrize(
    "upload",
    [b"", b"\xff\xd8\xff\xe0 truncated jpeg", b"GIF89a not really"],
)
def test_bad_photos_are_refused_with_a_message(live_server: LiveServer, upload: bytes) -> None:
    response = httpx.post(
        f"{live_server.url}/v1/images", headers={"X-API-Key": live_server.camera_key},
        files={"image": ("frame.jpg", upload, "image/jpeg")},
        data={"camera_id": live_server.camera_id}, timeout=60,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"]


def test_a_photo_sent_again_without_its_time_is_the_same_sighting(
    live_server: LiveServer,
) -> None:
    """A camera that retries a post it thinks failed sends the same photo again, without
    a time: the retry is recognised (same read ids, nothing stored twice), and the reads
    keep the first arrival's time. Another photo from the same camera is new reads."""
    first, other = synthetic_frames(2, 9011)

    def post(shot: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{live_server.url}/v1/images", headers={"X-API-Key": live_server.camera_key},
            files={"image": ("frame.jpg", shot.jpeg(quality=95), "image/jpeg")},
            data={"camera_id": live_server.camera_id}, timeout=120,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    sent = post(first)
    assert sent["accepted"] and not sent["errors"], sent
    again = post(first)
    assert again["accepted"] == sent["accepted"] and not again["errors"], again
    plate = sent["recognitions"][0]["plate"]
    found = httpx.post(
        f"{live_server.url}/v1/searches", timeout=60,
        headers={"Authorization": f"Bearer {live_server.token('ucpd.investigator')}"},
        json={"kind": "exact", "params": {"plate": plate}, **SEARCH},
    )
    assert found.status_code == 200, found.text
    from_camera = [r for r in found.json()["results"]
                   if r["camera_id"] == live_server.camera_id]
    assert [r["read_id"] for r in from_camera] == sent["accepted"][:1], found.json()
    later = post(other)
    assert later["accepted"] and not set(later["accepted"]) & set(sent["accepted"]), later


def test_a_photo_none_of_whose_reads_is_accepted_is_refused_with_its_reasons(
    live_server: LiveServer,
) -> None:
    """As a batch of reads is (docs/api.md): a camera that posts under a camera id its
    agency does not have gets a 422 listing each read refused, not a 200 that hides it."""
    shot = next(iter(synthetic_frames(1, 9021)))
    response = httpx.post(
        f"{live_server.url}/v1/images", headers={"X-API-Key": live_server.camera_key},
        files={"image": ("frame.jpg", shot.jpeg(quality=95), "image/jpeg")},
        data={"camera_id": "not-a-camera-of-ours"}, timeout=120,
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "no_valid_reads" and error["details"], error
    assert all("not-a-camera-of-ours" in d["message"] for d in error["details"]), error
