"""A server whose plate crops go to an S3-compatible bucket: a photo posted to /v1/images
leaves its crop in the bucket, and the crop is served back through the image view."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import totp_code
from plateledger.recognize.synthetic import synthetic_frames
from plateledger.settings import Settings
from tests.api.conftest import Seed, login


@pytest.fixture
def settings(tmp_path: Path, store_path: Path, s3_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", store_path=store_path, secret_key="k" * 32,
                    require_totp=True, images_url=s3_url)


def test_a_photo_crop_is_kept_in_the_bucket_and_served_back(
    client: TestClient, seed: Seed, s3_url: str
) -> None:
    catalog = client.app.state.catalog  # type: ignore[attr-defined]
    key = catalog.issue_api_key(seed.ucpd_id, label="gate camera")
    catalog.add_camera("ucpd-gate-1", seed.ucpd_id, "fixed", lat=37.59, lon=-122.04)
    shot = next(iter(synthetic_frames(1, 9001)))
    posted = client.post("/v1/images", headers={"X-API-Key": key},
                         files={"image": ("frame.jpg", shot.jpeg(quality=95), "image/jpeg")},
                         data={"camera_id": "ucpd-gate-1"})
    assert posted.status_code == 200, posted.text
    read_id = posted.json()["accepted"][0]
    plate = posted.json()["recognitions"][0]["plate"]

    endpoint = s3_url.split("endpoint=")[1].split("&")[0]
    bucket = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket="crops")["Contents"]]
    assert any(k.endswith(f"{read_id}.plate.jpg") for k in keys)

    headers = login(client, "ivy", totp_code(seed.investigator_totp, datetime.now(UTC)))
    view = client.get(f"/v1/reads/{read_id}/images/plate", headers=headers, params={
        "plate": plate, "purpose": "stolen_vehicle", "reason": "check the plate crop"})
    assert view.status_code == 200, view.text
    assert view.content[:2] == b"\xff\xd8"
