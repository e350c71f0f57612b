"""``POST /v1/recognize/box``: read the plate in a box of a photo (nothing is stored).

A camera key, or an integrator holding one, sends a frame and the plate's box (found by a
detector of its own, or drawn by a person); the answer is the read with its raw text,
candidates and character confidences. Nothing is ingested and nothing stored is read, so
this reveals nothing beyond what the caller sent.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

from plateledger.api.deps import CameraKey, IngestDep
from plateledger.api.errors import ApiError
from plateledger.recognize import ImageError, read_box

router = APIRouter(prefix="/v1/recognize", tags=["ingest"])

MAX_IMAGE_BYTES = 20 * 1024 * 1024


class BoxReadOut(BaseModel):
    plate: str
    raw: str
    candidates: list[tuple[str, float]]
    confidence: float
    char_confidences: list[float]
    region: str
    region_confidence: float
    box: tuple[int, int, int, int]


class BoxResult(BaseModel):
    read: BoxReadOut | None


def _box(text: str) -> tuple[int, int, int, int]:
    parts = text.split(",")
    try:
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise ApiError(422, "invalid_box", f"box `{text}` is not four integers x,y,w,h") from None
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        raise ApiError(422, "invalid_box", f"box `{text}` needs x, y >= 0 and w, h > 0")
    return x, y, w, h


@router.post("/box", response_model=BoxResult, summary="Read the plate in a box of a photo")
async def post_box(
    key: CameraKey,
    ingest: IngestDep,
    image: Annotated[UploadFile, File(description="JPEG or PNG frame")],
    box: Annotated[str, Form(description="the plate's box in pixels: x,y,w,h",
                             max_length=64)],
) -> BoxResult:
    where = _box(box)
    data = await image.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ApiError(413, "image_too_large", f"the image is larger than {MAX_IMAGE_BYTES} bytes")
    recognizer = await asyncio.to_thread(ingest.recognizer)
    try:
        found = await asyncio.to_thread(read_box, recognizer, data, where)
    except ImageError as exc:
        raise ApiError(422, "bad_image", str(exc)) from None
    if found is None:
        return BoxResult(read=None)
    return BoxResult(read=BoxReadOut(
        plate=found.plate, raw=found.raw or found.plate,
        candidates=list(found.candidates) or [(found.plate, found.confidence)],
        confidence=found.confidence, char_confidences=list(found.char_confidences),
        region=found.region, region_confidence=found.region_confidence, box=found.box,
    ))
