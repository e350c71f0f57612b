"""Plate crops on disk and in an S3-compatible bucket (a local S3 server), by read id."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from plateledger.store.images import (
    CropStore,
    ImageStore,
    S3ImageStore,
    delete_images,
    open_image_store,
)

JPEG = b"\xff\xd8\xff\xe0" + b"crop" * 100


@pytest.fixture(params=["files", "bucket"])
def images(request: pytest.FixtureRequest, tmp_path: Path) -> CropStore:
    if request.param == "files":
        return open_image_store(None, tmp_path / "images")
    url = request.getfixturevalue("s3_url")
    return open_image_store(url, tmp_path / "unused")


def test_a_crop_comes_back_by_its_reference(images: CropStore) -> None:
    read_id = uuid.uuid4()
    ref = images.put(read_id, "plate", JPEG)
    assert str(read_id) in ref
    assert images.get(ref) == JPEG


def test_a_reference_it_did_not_make_gives_nothing(images: CropStore) -> None:
    assert images.get("local:../../etc/passwd") is None
    assert images.get("s3:../secrets.jpg") is None
    missing = f"{uuid.uuid4().hex[:2]}/{uuid.uuid4()}.plate.jpg"
    assert images.get(f"local:{missing}") is None
    assert images.get(f"s3:{missing}") is None


def test_only_plate_and_overview_crops_are_kept(images: CropStore) -> None:
    with pytest.raises(ValueError, match="plate or overview"):
        images.put(uuid.uuid4(), "thumbnail", JPEG)


def test_the_bucket_keeps_crops_under_its_prefix(s3_url: str) -> None:
    store = S3ImageStore.from_url(s3_url)
    read_id = uuid.uuid4()
    store.put(read_id, "overview", JPEG)
    keys = [o["Key"] for o in store.client.list_objects_v2(Bucket="crops")["Contents"]]
    assert f"city/images/{read_id.hex[:2]}/{read_id}.overview.jpg" in keys


def test_an_images_url_that_is_not_a_bucket_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="s3://bucket"):
        open_image_store("ftp://crops/x", tmp_path)
    assert isinstance(open_image_store(None, tmp_path), ImageStore)


def test_a_stored_crop_is_never_replaced(images: CropStore) -> None:
    read_id = uuid.uuid4()
    first = images.put(read_id, "plate", JPEG)
    again = images.put(read_id, "plate", b"\xff\xd8\xff\xe0" + b"other" * 100)
    assert again == first == images.ref(read_id, "plate")
    assert images.get(first) == JPEG


def test_a_crop_is_deleted_with_its_read_and_only_that_one(images: CropStore) -> None:
    """The purge's deletion: both kinds of one read, by its id; another read's crop
    stays; deleting what is not there says so."""
    gone, kept = uuid.uuid4(), uuid.uuid4()
    refs = {kind: images.put(gone, kind, JPEG) for kind in ("plate", "overview")}
    other = images.put(kept, "plate", JPEG)
    assert delete_images(images, [gone]) == 2
    assert [images.get(ref) for ref in refs.values()] == [None, None]
    assert images.get(other) == JPEG
    assert images.delete(gone, "plate") is False
    assert delete_images(images, [gone]) == 0
    with pytest.raises(ValueError, match="plate or overview"):
        images.delete(kept, "../plate")


def test_a_store_tells_whether_a_crop_is_still_there(images: CropStore) -> None:
    """What a search asks of a read a hold keeps past its images clock: its images may
    have been deleted before the hold was placed."""
    read_id = uuid.uuid4()
    assert images.exists(read_id, "plate") is False
    images.put(read_id, "plate", JPEG)
    assert images.exists(read_id, "plate") is True
    assert images.exists(read_id, "overview") is False
    delete_images(images, [read_id])
    assert images.exists(read_id, "plate") is False
