"""Images are kept no longer than the law and the agency allow: New Hampshire's non-hits
are matched against hot lists and dropped (`not_kept`), and the frame of a webhook with
image is never written for them; an image older than its agency's images clock is not
served (the purge deletes it), while its read still is."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.retention.holds import LegalHold, ReadSelection
from plateledger.settings import Settings
from tests.api.conftest import Seed, code, login
from tests.api.test_candidates_http import exact, multipart

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


def test_an_image_past_its_agencys_images_clock_is_not_served(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    """Union City keeps reads 60 days and their images 1 day: the frame of a read two days
    old is not served (the purge deletes it), while the read itself is still found (shown
    without image references, so no one is sent to an image that is gone) and a frame of
    today is served. A read as old that a legal hold selects keeps its frame for the case
    (the purge keeps the images of held reads): served, and shown with its references."""
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.update_agency(seed.ucpd_id, retention_image_days=1)
        catalog.add_camera("ucpd-gate", seed.ucpd_id, lat=37.59, lon=-122.02)
        key = catalog.issue_api_key(seed.ucpd_id, label="stream")
    finally:
        catalog.close()
    ivy = login(client, "ivy", code(seed.investigator_totp))
    shown = {}
    held_plate = "7IH" + uuid.uuid4().hex[:4].upper()
    state = client.app.state  # type: ignore[attr-defined]
    state.retention.holds.place(
        LegalHold(case_number="UC-2026-0042", reason="evidence in a robbery", approver="sgt",
                  owner_agency=seed.ucpd_id, selection=ReadSelection(plates=(held_plate,)),
                  expires_at=datetime.now(UTC) + timedelta(days=30)),
        placed_by="ucpd-admin", now=datetime.now(UTC),
    )
    plates = {2: "7IC" + uuid.uuid4().hex[:4].upper(), 0: "7IC" + uuid.uuid4().hex[:4].upper(),
              3: held_plate}
    for days_ago, plate in plates.items():
        webhook = json.loads(json.dumps(WEBHOOK))
        taken = datetime.now(UTC) - timedelta(days=days_ago, minutes=1)
        webhook["data"]["timestamp"] = taken.strftime("%Y-%m-%dT%H:%M:%SZ")
        webhook["data"]["camera_id"] = "ucpd-gate"
        webhook["data"]["results"][0]["plate"] = plate.lower()
        body, content_type = multipart(webhook, b"\xff\xd8\xff\xe0" + plate.encode() * 40)
        posted = client.post("/v1/reads/platerecognizer", content=body,
                             headers={"X-API-Key": key, "Content-Type": content_type})
        assert posted.status_code == 200, posted.text
        [read_id] = posted.json()["accepted"]
        answer = client.get(f"/v1/reads/{read_id}/images/overview", headers=ivy, params={
            "plate": plate, "purpose": "stolen_vehicle", "reason": "stolen white pickup",
            "case_number": "UC-2026-0042"})
        [found] = [r for r in exact(client, ivy, plate)["results"] if r["read_id"] == read_id]
        shown[days_ago] = (answer.status_code, answer.json()["error"]["code"]
                           if answer.status_code != 200 else "", bool(found["image_overview"]))
    assert shown == {2: (404, "no_image", False), 0: (200, "", True), 3: (200, "", True)}
