"""Ingest: cameras and agents post reads in native JSON or a vendor format.

The owner agency comes from the API key. In a batch each item stands alone: bad items are
reported with their index and field and nothing of them is stored; the good ones are
stored and acknowledged only once durable.

A key may only add to its own agency's data: a read whose id is already stored by another
agency, or by the same agency with other content (another plate, camera or place included),
is refused as an item (code ``read_conflict``) and the stored read is left as it was; an
identical re-post (a retry) is accepted. A batch of which nothing is accepted answers 409
when some item was refused for a conflict, else 422.

A post whose reads the read store cannot take (the store fails, or the server is shutting
down) answers 503 and nothing of it is stored — unless its credential is in quarantine
mode: then its items are kept in the agency's quarantine (code ``store_unavailable``) and
the post is answered 200, since a client that takes any answer as delivered (alprd) would
otherwise lose them; the admin replays them once the store is back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from plateledger.api.body import read_limited
from plateledger.api.deps import CameraKey, ImagesDep, IngestDep, SettingsDep
from plateledger.api.errors import ApiError
from plateledger.api.resources import Ingest
from plateledger.ingest import ADAPTERS, BatchTooLarge, MalformedBody, UnknownFormat, adapter_for
from plateledger.ingest.batcher import BatcherClosed, Prepared, prepared
from plateledger.ingest.enrich import CameraInfo, Rejection, drop_in_zones, enrich, retain
from plateledger.ingest.intake import Intake
from plateledger.read import PlateRead
from plateledger.settings import Settings
from plateledger.store import StoreError

router = APIRouter(prefix="/v1/reads", tags=["ingest"])


NATIVE = "native"
"""The adapter a post to ``/v1/reads`` is read with when its content type names none."""
INVALID = "invalid_read"
CONFLICT = "read_conflict"
UNSTORED = "store_unavailable"


class ItemErrorOut(BaseModel):
    index: int = Field(description="position of the item in the batch (0-based)")
    field: str = Field(description="the bad field, e.g. `ts` or `results[0].plate`")
    message: str
    code: str = Field(
        default=INVALID,
        description="`invalid_read`, or `read_conflict` when the read's id is already "
        "stored by your agency with other content, another plate included "
        "(nothing is replaced), or `store_unavailable` when the read store could not take "
        "the read (only from a credential in quarantine mode, whose items are then kept "
        "in `quarantined` for replay)",
    )


def conflict_error(index: int, read: PlateRead) -> ItemErrorOut:
    return ItemErrorOut(
        index=index, field="read_id", code=CONFLICT,
        message=f"read `{read.read_id}` of plate `{read.plate}` is already stored by your "
        "agency with other content; a stored read is never replaced",
    )


class Stored(NamedTuple):
    """What `store_reads` did with a post's reads."""

    accepted: list[uuid.UUID]
    """The ids acknowledged, in batch order (stored now, stored before, or not kept)."""
    conflicts: list[ItemErrorOut]
    """An error per read refused for a conflict."""
    not_kept: int
    """How many reads a law or policy kept from being stored."""
    conflicting: list[tuple[int, PlateRead]]
    """The reads refused for a conflict, with their item index."""


class Unstored(Exception):
    """The read store could not take a post's reads (``cause``: the `StoreError`, or the
    503 `ApiError` of a server shutting down); nothing of them was stored."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


async def store_reads(
    ingest: Ingest, reads: list[tuple[int, PlateRead]], extras: Any = None,
    before_store: Callable[[list[tuple[int, PlateRead]]], None] | None = None,
) -> Stored:
    """Keep (retention), then durably add ``reads`` (item index, read): the ids accepted in
    batch order, an error per read refused for a conflict, how many were not kept, and the
    reads refused.
    ``before_store`` gets the reads kept, before they are written (their images: a read a
    law forbids keeping leaves no image either). `Unstored` if the store cannot take them."""
    def kept_and_prepared(
    ) -> tuple[list[tuple[int, PlateRead]], int, Prepared | None, list[Any]]:
        matched = ingest.hotlist.service.match([r for _, r in reads])
        stored, not_kept = keep(ingest, reads, matched)
        if before_store is not None and stored:
            before_store(stored)
        # what the single writer would otherwise do itself, done here on the request's thread
        ready = prepared([r for _, r in stored]) if stored else None
        return stored, not_kept, ready, matched

    stored, not_kept, ready, matched = await asyncio.to_thread(kept_and_prepared)
    refused: frozenset[int] = frozenset()
    if stored:
        try:
            # the hits found now are delivered once the reads are stored: one match a batch
            future = ingest.batcher.submit([read for _, read in stored], extras, ready,
                                           matched)
        except BatcherClosed as exc:
            raise Unstored(ApiError(503, "shutting_down", str(exc))) from None
        try:
            refused = await asyncio.wrap_future(future)
        except StoreError as exc:
            raise Unstored(exc) from exc
    conflicting = [stored[p] for p in sorted(refused)]
    errors = [conflict_error(index, read) for index, read in conflicting]
    # Each read stands alone, even beside another of its item (an alprd message's results):
    # only the reads refused are left out of what is acknowledged. (A read refused because
    # an earlier one of the batch claimed its id shares that id, acknowledged once.)
    unacknowledged = Counter(read.read_id for _, read in conflicting)
    accepted: list[uuid.UUID] = []
    for _, read in reads:
        if unacknowledged[read.read_id] > 0:
            unacknowledged[read.read_id] -= 1
        else:
            accepted.append(read.read_id)
    return Stored(accepted, errors, not_kept, conflicting)


def refuse_if_none_accepted(accepted: list[uuid.UUID], errors: list[ItemErrorOut]) -> None:
    """A batch of which nothing was accepted is an error: 409 if a read was refused for a
    conflict, else 422."""
    if accepted or not errors:
        return
    details = [e.model_dump() for e in errors]
    conflicts = [e for e in errors if e.code == CONFLICT]
    if conflicts:
        if len(conflicts) == 1:
            raise ApiError(409, CONFLICT, conflicts[0].message, details)
        ids = ", ".join(f"`{e.message.split('`')[1]}`" for e in conflicts[:5])
        more = f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else ""
        raise ApiError(409, CONFLICT, f"reads {ids}{more} are already stored by your "
                       "agency with other content; a stored read is never replaced", details)
    raise ApiError(422, "no_valid_reads", "no item of the batch is a valid read", details)


class ZoneDropUnrecorded(Exception):
    """The ``zone_drop`` entry of a batch could not be appended."""


def drop_zone_reads(
    ingest: Any, reads: list[tuple[int, PlateRead]]
) -> tuple[list[tuple[int, PlateRead]], int]:
    """The reads outside their owner's active collection zones, and how many were inside;
    the dropped ones counted in the audit log first (`ZoneDropUnrecorded` if they cannot
    be: then nothing of the batch is stored). ``ingest`` is an `Ingest`."""
    kept, dropped, counts = drop_in_zones(reads, ingest.zones)
    if counts:
        try:  # fail closed: no count in the log, nothing of the batch stored
            ingest.record_zone_drops(counts)
        except Exception as exc:
            raise ZoneDropUnrecorded from exc
    return kept, len(dropped)


def zone_refusal() -> ApiError:
    return ApiError(503, "audit_unavailable", "reads fell inside a collection zone and the "
                    "audit log could not count them; nothing of the batch was stored")


class IngestResult(BaseModel):
    accepted: list[uuid.UUID] = Field(description="ids of the reads stored, in batch order")
    errors: list[ItemErrorOut] = Field(description="items refused, with the reason")
    ignored: int = Field(default=0, description="items accepted and deliberately ignored")
    not_kept: int = Field(
        default=0,
        description="accepted reads matched against hot lists and then discarded, because "
        "the owner's law forbids keeping non-hits (e.g. New Hampshire's three minutes)",
    )
    zone_dropped: int = Field(
        default=0,
        description="accepted reads placed inside an active collection zone of their owner, "
        "dropped before storing and counted (per rule id) in the audit log",
    )
    quarantined: list[int] = Field(
        default_factory=list,
        description="ids of the items kept in the agency's quarantine (items that could "
        "not be accepted, from a credential with quarantine on, and every version "
        "refused for conflicting with a stored read), for its admins to replay or discard",
    )
    batch: str = Field(
        default="", description="how the batch was treated: each item stands alone",
    )


def keep(
    ingest: Any, reads: list[tuple[int, PlateRead]], matched: Sequence[Any] | None = None,
) -> tuple[list[tuple[int, PlateRead]], int]:
    """The reads to store (with their item index), and how many are not kept (a pack that
    forbids keeping non-hits, as New Hampshire's, after they were matched against the hot
    lists: ``matched``, the hits `HitService.match` found for them, if matched already).
    ``ingest`` has the server's ``hotlist`` runtime and ``retention_for`` clocks (an
    `Ingest`)."""
    # A hit for retention is one policy lets its list's owner receive (the question
    # delivery asks): another agency's list does not keep a read its law would purge.
    hit_ids: frozenset[uuid.UUID] = ingest.hotlist.service.deliverable_read_ids(
        [r for _, r in reads], matched=matched)
    return retain(reads, hit_ids, ingest.retention_for)


async def ingest_body(
    request: Request, ingest: Ingest, settings: Settings, key: Any, format_name: str | None,
    camera: str | None, *, credential_kind: str = "api_key", images: Any = None,
    url_camera: str | None = None,
) -> IngestResult:
    content_type = request.headers.get("content-type")
    try:
        adapter = adapter_for(format_name, content_type)
    except UnknownFormat as exc:
        refusal = ApiError(415 if format_name is None else 404, "unknown_format", str(exc))
        body = await read_limited(request, settings.max_body_bytes)
        # (the item names the format asked for; replaying it is refused until it exists)
        return await hold_whole(ingest, key, format_name or NATIVE, body, content_type,
                                camera or url_camera, credential_kind, url_camera, refusal)
    body = await read_limited(request, settings.max_body_bytes)
    return await ingest_bytes(ingest, key, adapter, body, content_type, camera,
                              credential_kind=credential_kind, images=images,
                              url_camera=url_camera)


async def hold_whole(
    ingest: Ingest, key: Any, format_name: str, body: bytes, content_type: str | None,
    camera_hint: str | None, credential_kind: str, url_camera: str | None,
    refusal: ApiError,
) -> IngestResult:
    """A body refused as a whole before it is read as reads (no such format, too many
    items): from a credential in quarantine mode, kept whole with ``refusal``'s message
    and answered 200 (alprd deletes a read on any answer); otherwise ``refusal``."""
    try:  # (a replay is never kept again: `Intake.settle`)
        owner = ingest.owner(replace(key, camera_id=None) if url_camera else key)
    except LookupError:
        raise refusal from None
    intake = Intake(ingest, None, owner.agency_id, credential_kind, key.key_prefix,
                    format_name[:32], content_type, camera_hint)
    return await hold_body(intake, body, refusal)


async def ingest_bytes(
    ingest: Ingest, key: Any, adapter: Any, body: bytes, content_type: str | None,
    camera: str | None, *, credential_kind: str = "api_key", images: Any = None,
    url_camera: str | None = None, whole: bool = False,
) -> IngestResult:
    """Ingest one body read with ``adapter`` (a post's, or a quarantined item's replay).

    ``url_camera``: an ingest URL's camera, which its reads are stored as unless the agency
    mapped the payload's camera name to another of its cameras for this format.
    ``whole``: the body is one item to take whole or not at all (a replay): if any of its
    reads is refused before storing, none is stored (422 ``still_refused``)."""
    try:
        # (an ingest URL's reads are bound to its camera, or an alias's, below)
        owner = ingest.owner(replace(key, camera_id=None) if url_camera else key)
    except LookupError as exc:
        raise ApiError(403, "unknown_owner", str(exc)) from None

    intake = Intake(ingest, images, owner.agency_id, credential_kind,
                    key.key_prefix, adapter.name, content_type, camera or url_camera)

    def prepare() -> tuple[Any, list[tuple[int, PlateRead]], list[Rejection], int]:
        parsed = adapter.parse(body, content_type=content_type,
                               camera_hint=camera or url_camera)
        submissions = parsed.submissions
        if camera is not None:
            # The operator's mapping of a vendor camera name to a registered camera wins
            # over whatever the payload calls it (Frigate names, Rekor numeric ids …).
            submissions = [(i, s.model_copy(update={"camera_id": camera}))
                           for i, s in submissions]
        else:  # the agency's camera aliases, before today's naming (or the URL's camera)
            submissions = intake.map_cameras(submissions, fallback=url_camera)
        submissions = intake.take_extras(parsed, submissions)
        # numbered by position in the post until the copy of each id that brings its
        # extras and frame is chosen among those left to store; then by item again
        items = [index for index, _ in submissions]
        positioned, refused = enrich(
            [(p, sub) for p, (_, sub) in enumerate(submissions)], owner, ingest.camera)
        positioned, dropped = drop_zone_reads(ingest, positioned)
        intake.choose(positioned)
        reads = [(items[p], read) for p, read in positioned]
        rejected = [replace(r, index=items[r.index]) for r in refused]
        return parsed, reads, rejected, dropped

    try:
        parsed, reads, rejected, zone_dropped = await asyncio.to_thread(prepare)
    except BatchTooLarge as exc:
        return await hold_body(intake, body, ApiError(413, "batch_too_large", str(exc)))
    except MalformedBody as exc:
        return await hold_malformed(intake, body, exc)
    except ZoneDropUnrecorded:
        raise zone_refusal() from None
    errors = [ItemErrorOut(index=e.index, field=e.field, message=e.message) for e in parsed.errors]
    errors += [ItemErrorOut(index=r.index, field=r.field, message=r.message) for r in rejected]
    if whole and errors:
        raise ApiError(422, "still_refused", "the item is still refused; nothing of it was "
                       "stored and it stays held", [e.model_dump() for e in errors])
    try:
        accepted, conflicts, not_kept, conflicting = await store_reads(
            ingest, reads, intake.extras, before_store=intake.put_images)
    except Unstored as exc:
        if intake.written:
            await asyncio.to_thread(intake.drop_images, reads)
        intake.release_frames()
        return await hold_unstored(intake, body, reads, errors, parsed.ignored, exc)
    except BaseException:
        intake.release_frames()
        raise
    if conflicting and intake.written:
        await asyncio.to_thread(intake.drop_images, conflicting)
    intake.release_frames()
    errors = sorted(errors + conflicts, key=lambda e: e.index)
    quarantined, held = await asyncio.to_thread(
        intake.settle, body, conflicting, [(e.index, e.message, e.code) for e in errors])
    if not zone_dropped and not held:
        refuse_if_none_accepted(accepted, errors)
    return IngestResult(
        accepted=accepted, errors=errors, ignored=parsed.ignored, not_kept=not_kept,
        zone_dropped=zone_dropped, quarantined=quarantined,
        batch=intake.batch_note(len(accepted), errors, quarantined),
    )


async def hold_malformed(intake: Intake, body: bytes, failure: MalformedBody) -> IngestResult:
    """A body that cannot be read as a whole: from a credential in quarantine mode, kept
    whole with the reason and answered 200 (a client that takes any answer as delivered,
    as alprd does, loses nothing); otherwise 400 ``malformed_body``, nothing kept."""
    return await hold_body(intake, body, ApiError(400, "malformed_body", str(failure)))


async def hold_body(intake: Intake, body: bytes, refusal: ApiError) -> IngestResult:
    """Keep ``body`` whole in the quarantine with ``refusal``'s reason and answer 200, if
    ``intake``'s credential is in quarantine mode; raise ``refusal`` otherwise."""
    quarantined, held = await asyncio.to_thread(
        intake.settle, body, [], [(-1, refusal.message, refusal.code)])
    if not held:
        raise refusal
    error = ItemErrorOut(index=-1, field="body", code=refusal.code, message=refusal.message)
    return IngestResult(accepted=[], errors=[error], ignored=0, quarantined=quarantined,
                        batch=intake.batch_note(0, [error], quarantined))


async def hold_unstored(
    intake: Intake, body: bytes, reads: list[tuple[int, PlateRead]],
    errors: list[ItemErrorOut], ignored: int, failure: Unstored,
) -> IngestResult:
    """A post whose reads the store could not take: with quarantine mode on, every item
    kept in quarantine (those refused anyway with their own reasons) and answered 200;
    otherwise the store's 503, as without quarantine."""
    message = ("the read store could not take this read (it is down or the server is "
               "shutting down); kept for replay once it is back")
    unstored = [ItemErrorOut(index=i, field="read", code=UNSTORED, message=message)
                for i, _ in reads]
    errors = sorted(errors + unstored, key=lambda e: e.index)
    quarantined, held = await asyncio.to_thread(
        intake.settle, body, [], [(e.index, e.message, e.code) for e in errors])
    if not held:
        raise failure.cause
    return IngestResult(
        accepted=[], errors=errors, ignored=ignored, quarantined=quarantined,
        batch=intake.batch_note(0, errors, quarantined),
    )


@router.post(
    "",
    response_model=IngestResult,
    summary="Post reads (native JSON array, single object or NDJSON)",
)
async def post_reads(
    request: Request, key: CameraKey, ingest: IngestDep, settings: SettingsDep,
    images: ImagesDep,
) -> IngestResult:
    # (a multipart body is Plate Recognizer's webhook with image: its frame is kept as
    # through /v1/reads/platerecognizer, not dropped)
    return await ingest_body(request, ingest, settings, key, None, None, images=images)


@router.post(
    "/{format_name}",
    response_model=IngestResult,
    summary="Post reads in a vendor format (openalpr, rekor, platerecognizer, frigate, …)",
)
async def post_reads_in_format(
    request: Request,
    key: CameraKey,
    ingest: IngestDep,
    settings: SettingsDep,
    images: ImagesDep,
    format_name: Annotated[str, Path(description=f"one of: {', '.join(sorted(ADAPTERS))}")],
    camera: Annotated[
        str | None,
        Query(max_length=64, description="registered camera id; overrides the payload's"),
    ] = None,
) -> IngestResult:
    return await ingest_body(request, ingest, settings, key, format_name, camera,
                             images=images)


def camera_info(catalog: Any, camera_id: str) -> CameraInfo | None:
    camera = catalog.camera(camera_id)
    if camera is None:
        return None
    return CameraInfo(camera.camera_id, camera.owner_id, camera.lat, camera.lon)
