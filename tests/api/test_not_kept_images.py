"""A read that a law forbids keeping leaves no image behind: New Hampshire's non-hits are
matched against hot lists and dropped (`not_kept`), and the frame of a webhook with image
(or the crop of a recognised photo) is never written for them. A kept read of the same
post still has its frame."""

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
from tests.api.test_candidates_http import multipart

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
WEBHOOK = json.loads((FORMATS / "platerecognizer_stream_webhook.json").read_text())


def images_on_disk(settings: Settings) -> set[str]:
    return {p.name for p in settings.images_dir.rglob("*.jpg")}


@pytest.fixture
def nashua_key(settings: Settings) -> str:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        nashua = catalog.add_agency("Nashua PD", "npd", "municipal", "NH", law_packs=["NH"])
        catalog.add_camera("npd-main-st", nashua.id, lat=42.76, lon=-71.46)
        return catalog.issue_api_key(nashua.id, label="stream")
    finally:
        catalog.close()


def test_a_non_hit_webhook_frame_of_an_nh_agency_is_never_written(
    client: TestClient, settings: Settings, nashua_key: str
) -> None:
    before = images_on_disk(settings)
    webhook = json.loads(json.dumps(WEBHOOK))
    webhook["data"]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    webhook["data"]["camera_id"] = "npd-main-st"
    webhook["data"]["results"][0]["plate"] = "nh" + uuid.uuid4().hex[:5]
    body, content_type = multipart(webhook, b"\xff\xd8\xff\xe0" + b"nashua frame" * 40)
    posted = client.post("/v1/reads/platerecognizer", content=body,
                         headers={"X-API-Key": nashua_key, "Content-Type": content_type})
    assert posted.status_code == 200, posted.text
    # accepted (the camera must not resend it) and not kept: matched, then discarded
    assert len(posted.json()["accepted"]) == 1 and posted.json()["not_kept"] == 1
    assert images_on_disk(settings) == before
