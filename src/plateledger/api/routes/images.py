"""``POST /v1/images``: recognise plates in a photo from a camera, and ingest them."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field, ValidationError

from plateledger.api.deps import CameraKey, ImagesDep, IngestDep, StoreDep
from plateledger.api.errors import ApiError
from plateledger.api.routes.reads import (
    IngestResult,
    ItemErrorOut,
    Unstored,
    ZoneDropUnrecorded,
    drop_zone_reads,
    refuse_if_none_accepted,
    store_reads,
    zone_refusal,
)
from plateledger.ingest.adapters.native import extras_of
from plateledger.ingest.enrich import enrich
from plateledger.read import PlateRead, ReadSubmission, owner_read_id, to_utc_millis
from plateledger.recognize import ImageError, Recognition
from plateledger.recognize.recognizer import kept
from plateledger.store import ReadStore
from plateledger.store.identity import lookup_sql

router = APIRouter(prefix="/v1/images", tags=["ingest"])

MAX_IMAGE_BYTES = 20 * 1024 * 1024

PHOTO_NAMESPACE = uuid.UUID("5d0f3c1e-8a47-4f6b-9c2d-70b1e4a6f812")
"""Namespace of the client ids given to the reads of a photo posted without its time
(`photo_read_id`)."""


def photo_read_id(camera_id: str, digest: str, index: int) -> uuid.UUID:
    """The client id of the ``index``-th read recognised in a photo whose SHA-256 is
    ``digest``, posted without its time from ``camera_id``: the same photo sent again gives
    the same ids, so that a retry is recognised (the time is the first arrival's)."""
    return uuid.uuid5(PHOTO_NAMESPACE, f"{camera_id}\x1f{digest}\x1f{index}")


def first_arrival(store: ReadStore, ids: Sequence[uuid.UUID]) -> datetime | None:
    """The time stored with the live reads of ``ids`` (a photo posted before), if any."""
    if not ids:
        return None
    table = store.query(lookup_sql("{db}"), {"ids": [str(i) for i in ids]})
    if not table.num_rows:
        return None
    when: datetime = min(table.column("ts").to_pylist())
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class RecognitionOut(BaseModel):
    plate: str
    raw: str = Field(description="the recogniser's own text, before a state's format chose")
    candidates: list[tuple[str, float]] = Field(
        description="the readings kept beside the read (plate, probability), best first: an "
        "exact search for any of them finds the read")
    confidence: float
    region: str
    box: tuple[int, int, int, int]


class ImageResult(IngestResult):
    recognitions: list[RecognitionOut]


@router.post("", response_model=ImageResult, summary="Recognise plates in an image and ingest")
async def post_image(
    key: CameraKey,
    ingest: IngestDep,
    images: ImagesDep,
    store: StoreDep,
    image: Annotated[UploadFile, File(description="JPEG or PNG frame")],
    camera_id: Annotated[str, Form(max_length=64)],
    ts: Annotated[str | None, Form(description="frame time, ISO-8601 or epoch ms")] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
) -> ImageResult:
    data = await image.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ApiError(413, "image_too_large", f"the image is larger than {MAX_IMAGE_BYTES} bytes")
    try:
        when = to_utc_millis(ts) if ts else datetime.now(UTC)
    except ValueError as exc:
        raise ApiError(422, "invalid_time", str(exc)) from None
    # A photo without its time is stamped with its arrival; its reads get ids from the
    # photo's digest, so a retry of the same photo is the same sighting, at the first
    # arrival's time, not a second one.
    photo = None if ts else hashlib.sha256(data).hexdigest()
    recognizer = await asyncio.to_thread(ingest.recognizer)
    try:
        found: list[Recognition] = await asyncio.to_thread(recognizer.recognize, data, ts=when)
    except ImageError as exc:
        raise ApiError(422, "bad_image", str(exc)) from None
    try:
        owner = ingest.owner(key)
    except LookupError as exc:
        raise ApiError(403, "unknown_owner", str(exc)) from None
    client_ids = ([photo_read_id(camera_id, photo, i) for i in range(len(found))]
                  if photo is not None else [None] * len(found))
    if photo is not None:
        stored = [owner_read_id(owner.agency_id, c) for c in client_ids if c is not None]
        before = await asyncio.to_thread(first_arrival, store, stored)
        when = before or when
    items: list[tuple[int, ReadSubmission]] = []
    errors: list[ItemErrorOut] = []
    for index, rec in enumerate(found):
        try:
            sub = ReadSubmission.model_validate({
                "camera_id": camera_id, "ts": when, "plate": rec.plate,
                "confidence": rec.confidence, "region": rec.region,
                "region_confidence": rec.region_confidence, "lat": lat, "lon": lon,
                "read_id": client_ids[index], **rec.evidence(),
            })
        except ValidationError as exc:
            errors.append(ItemErrorOut(index=index, field="", message=str(exc.errors()[0]["msg"])))
            continue
        if rec.crop_jpeg:  # named by the id the read is stored under
            ref = images.ref(sub.stable_id(owner.agency_id), "plate")
            sub = sub.model_copy(update={"images": sub.images.model_copy(update={"plate": ref})})
        items.append((index, sub))
    # the raw read and the recogniser's alternatives are kept beside each read, so that
    # an exact search for one of them finds it (marked as a candidate match)
    extras = {sub.stable_id(owner.agency_id): extras_of(sub) for _, sub in items}
    reads, rejected = enrich(items, owner, ingest.camera)
    errors += [ItemErrorOut(index=r.index, field=r.field, message=r.message) for r in rejected]
    # A read inside a collection zone of its owner is dropped (and counted) before its crop
    # or the read is written.
    try:
        reads, zone_dropped = await asyncio.to_thread(drop_zone_reads, ingest, reads)
    except ZoneDropUnrecorded:
        raise zone_refusal() from None
    # Crops are written only for reads of the key's own cameras that are kept, and never
    # over a stored crop: a key cannot touch another agency's images, nor change its own.
    def put_crops(kept: list[tuple[int, PlateRead]]) -> None:
        for index, read in kept:
            crop = found[index].crop_jpeg
            if crop:
                images.put(read.read_id, "plate", crop)

    # The same retention and conflict steps as POST /v1/reads: hot-list hits are kept
    # longer, a pack that forbids keeping non-hits (NH) has them matched and then dropped
    # (no crop written), and a read whose id is taken is refused.
    try:
        accepted, conflicts, not_kept, _ = await store_reads(ingest, reads, extras,
                                                             before_store=put_crops)
    except Unstored as exc:  # no quarantine for photos: the client still has its photo
        raise exc.cause from None
    errors = sorted(errors + conflicts, key=lambda e: e.index)
    # a photo none of whose reads is accepted is refused as a batch of reads is
    refuse_if_none_accepted(accepted, errors)
    return ImageResult(
        accepted=accepted,
        errors=errors,
        not_kept=not_kept,
        zone_dropped=zone_dropped,
        recognitions=[
            RecognitionOut(plate=r.plate, raw=r.raw or r.plate, confidence=round(r.confidence, 4),
                           candidates=kept(r.readings()), region=r.region, box=r.box)
            for r in found
        ],
    )

