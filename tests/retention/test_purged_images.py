"""A read's plate crop and frame go with it: the purge deletes the images of every read
it deletes (before the rows), keeps those of live reads and of reads a legal hold keeps,
and deletes a held copy's images once its hold ends. The receipt counts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from plateledger.audit import AuditLog
from plateledger.policy.clocks import RetentionPolicy
from plateledger.read import PlateRead
from plateledger.retention import HoldStore, LegalHold, ReadSelection, purge
from plateledger.store import ReadStore
from plateledger.store.images import ImageStore
from tests.factories import make_read

JPEG = b"\xff\xd8\xff\xe0" + b"frame" * 50


@pytest.fixture
def images(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "images")


def pictured(images: ImageStore, plate: str, now: datetime, *, keep_days: float,
             kinds: tuple[str, ...] = ("plate", "overview"), owner: int = 1) -> PlateRead:
    """A read 300 minutes old whose crops the server stored under its id."""
    read = make_read(plate, minutes_ago=300, keep_days=keep_days, now=now, owner=owner)
    refs = {kind: images.put(read.read_id, kind, JPEG) for kind in kinds}
    return read.model_copy(update={"images": read.images.model_copy(update=refs)})


def stored(images: ImageStore, read: PlateRead) -> list[str]:
    return [kind for kind in ("plate", "overview")
            if images.get(images.ref(read.read_id, kind)) is not None]


def test_the_images_of_purged_reads_are_deleted_and_live_reads_keep_theirs(
    reads: ReadStore, audit_log: AuditLog, images: ImageStore
) -> None:
    now = datetime.now(UTC)
    expired = pictured(images, "6GONE12", now, keep_days=0.1)
    crop_only = pictured(images, "6GONE34", now, keep_days=0.1, kinds=("plate",))
    live = pictured(images, "6LIVE12", now, keep_days=30)
    reads.insert_reads([expired, crop_only, live])
    receipt = purge(reads, now, {}, [], audit_log, images)
    assert receipt.rows_deleted == 2 and receipt.images_deleted == 3
    assert stored(images, expired) == [] and stored(images, crop_only) == []
    assert stored(images, live) == ["plate", "overview"]
    entry = audit_log.entries(receipt.audit_index or 0, 1)[0].entry
    assert entry["images_deleted"] == 3
    files = sorted(p.name for p in images.root.rglob("*.jpg"))
    assert files == sorted(f"{live.read_id}.{k}.jpg" for k in ("plate", "overview"))


def test_a_shortened_clock_takes_the_images_with_the_reads(
    reads: ReadStore, audit_log: AuditLog, images: ImageStore
) -> None:
    """A read stamped to live 30 days, whose owner's non-hit clock is now one hour: the
    purge deletes it by the current policy, and its images with it."""
    now = datetime.now(UTC)
    read = pictured(images, "6SHRT12", now, keep_days=30)
    reads.insert_reads([read])
    policy = RetentionPolicy(non_hit=timedelta(hours=1), hit=timedelta(days=365),
                             images=timedelta(hours=1), audit_log=timedelta(days=1826))
    receipt = purge(reads, now, {1: policy}, [], audit_log, images)
    assert receipt.rows_deleted == 1 and receipt.images_deleted == 2
    assert stored(images, read) == []


def test_a_held_reads_images_stay_until_its_hold_ends(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog, images: ImageStore
) -> None:
    now = datetime.now(UTC)
    evidence = pictured(images, "6HELD12", now, keep_days=0.1)
    unheld = pictured(images, "6FREE12", now, keep_days=0.1)
    reads.insert_reads([evidence, unheld])
    hold = holds.place(LegalHold(
        case_number="26-000123", reason="preservation order, superior court",
        approver="sgt-17", owner_agency=1, selection=ReadSelection(plates=("6HELD12",)),
        expires_at=now + timedelta(days=90), case_agency=1,
    ), placed_by="u", now=now)
    first = purge(reads, now, {}, holds.active(now), audit_log, images)
    assert first.rows_deleted == 2 and first.images_deleted == 2
    assert stored(images, evidence) == ["plate", "overview"] and stored(images, unheld) == []
    again = purge(reads, now, {}, holds.active(now), audit_log, images)
    assert again.images_deleted == 0 and stored(images, evidence) == ["plate", "overview"]
    holds.release(hold.hold_id, released_by="u", reason="case closed", now=now)
    released = purge(reads, now, {}, holds.active(now), audit_log, images)
    assert released.held_rows_released == 1 and released.images_deleted == 2
    assert stored(images, evidence) == []


def test_without_an_image_store_nothing_is_counted(
    reads: ReadStore, audit_log: AuditLog, images: ImageStore
) -> None:
    now = datetime.now(UTC)
    read = pictured(images, "6KEEP12", now, keep_days=0.1)
    reads.insert_reads([read])
    receipt = purge(reads, now, {}, [], audit_log)
    assert receipt.rows_deleted == 1 and receipt.images_deleted == 0


def test_an_images_clock_shorter_than_the_reads_deletes_only_the_images(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog, images: ImageStore
) -> None:
    """An agency keeps reads 30 days and their images 1 hour: a purge deletes the images
    of reads past the hour (the reads stay), not those of younger reads, nor those of a
    read an active hold selects."""
    now = datetime.now(UTC)
    policy = RetentionPolicy(non_hit=timedelta(days=30), hit=timedelta(days=365),
                             images=timedelta(hours=1), audit_log=timedelta(days=1826))
    old = pictured(images, "6IMG012", now, keep_days=30)  # 300 minutes old
    held = pictured(images, "6HLD012", now, keep_days=30)
    young = make_read("6NEW012", minutes_ago=10, keep_days=30, now=now)
    refs = {k: images.put(young.read_id, k, JPEG) for k in ("plate", "overview")}
    young = young.model_copy(update={"images": young.images.model_copy(update=refs)})
    reads.insert_reads([old, held, young])
    holds.place(LegalHold(
        case_number="26-000124", reason="preservation order, superior court",
        approver="sgt-17", owner_agency=1, selection=ReadSelection(plates=("6HLD012",)),
        expires_at=now + timedelta(days=90), case_agency=1,
    ), placed_by="u", now=now)
    receipt = purge(reads, now, {1: policy}, holds.active(now), audit_log, images)
    assert receipt.rows_deleted == 0 and receipt.images_deleted == 2
    assert stored(images, old) == []
    assert stored(images, held) == ["plate", "overview"]
    assert stored(images, young) == ["plate", "overview"]
    assert reads.count() == 3
    again = purge(reads, now, {1: policy}, holds.active(now), audit_log, images)
    assert again.images_deleted == 0
