"""``GET /v1/reads/{read_id}/images/{kind}``: a read's plate crop or overview image.

Viewing an image is its own policy action (``view_image``), decided for the read's owner
(an agreement may share reads without their images), and logged as an ``image_view``
entry before any byte is sent. The plate is asked for with the read id so that the read is
found by primary key, not by a scan.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from plateledger.access.gate import (
    AccessDenied,
    AccessGate,
    AccessQuestion,
    DecisionUnavailable,
)
from plateledger.api.deps import CurrentUser
from plateledger.api.errors import ApiError
from plateledger.audit import new_entry
from plateledger.audit.entry import EntryType
from plateledger.catalog import Principal
from plateledger.plates import PlateError, normalize_plate

router = APIRouter(prefix="/v1/reads", tags=["search"])

ImageKind = Literal["plate", "overview"]


def _find(request: Request, read_id: uuid.UUID, plate: str) -> tuple[int, str, str] | None:
    """The read's owner and image references, if it exists and has not expired."""
    rows = request.app.state.store.query(
        "SELECT owner_id, image_plate, image_overview FROM {db}.reads "
        "WHERE plate = {plate:String} AND read_id = {id:UUID} AND expires_at > now() LIMIT 1",
        {"plate": plate, "id": str(read_id)},
    )
    if rows.num_rows == 0:
        return None
    row = rows.to_pylist()[0]
    return int(row["owner_id"]), str(row["image_plate"]), str(row["image_overview"])


def _view(
    request: Request, user: Principal, read_id: uuid.UUID, kind: ImageKind, plate: str,
    purpose: str, case_number: str | None, reason: str, requested_by: str | None,
) -> bytes:
    try:
        normalized = normalize_plate(plate)
    except PlateError as exc:
        raise ApiError(422, "invalid_plate", str(exc)) from None
    found = _find(request, read_id, normalized)
    if found is None:
        raise ApiError(404, "no_such_read", f"no read {read_id} of plate {normalized}")
    owner_id, plate_ref, overview_ref = found
    gate: AccessGate = request.app.state.access
    now = datetime.now(UTC)
    try:
        question = AccessQuestion(
            user=user, requested_by_id=gate.requested_by(user, requested_by),
            action="view_image", purpose=purpose, case_number=case_number or None,
            reason=reason, lookback_days=0, owners=[owner_id], now=now,
        )
        decision = gate.decide(question)
    except AccessDenied as exc:
        raise ApiError(422, exc.code, exc.message) from None
    except DecisionUnavailable as exc:
        raise ApiError(503, "fail_closed", f"{exc}; no image was returned") from None
    outcome = decision.outcomes[owner_id]
    allowed = outcome.allowed and (outcome.limit is None or outcome.limit.images)
    names = {a.id: a.slug for a in gate.catalog.agencies()}
    entry = new_entry(
        EntryType.IMAGE_VIEW, user=user.username,
        agency=names.get(user.agency_id, str(user.agency_id)),
        requested_by_agency=names.get(question.requested_by_id, ""),
        owner_agency=names.get(owner_id, str(owner_id)), purpose=purpose,
        case_number=case_number, reason=reason, reason_flags=list(decision.reason_flags),
        read_id=str(read_id), image=kind, allowed=allowed,
        policy_ids=list(outcome.policy_ids), policy_set_hash=decision.policy_hash,
    )
    try:
        gate.audit_log.append(entry)
    except Exception as exc:
        raise ApiError(503, "fail_closed", "the audit log could not record this image view; "
                       "no image was returned") from exc
    if not outcome.allowed:
        raise ApiError(403, "denied", "policy does not allow viewing this owner's images: "
                       + ", ".join(outcome.policy_ids))
    if not allowed:
        raise ApiError(403, "images_not_shared", "the agreement with this owner shares reads "
                       "but not their images")
    ref = plate_ref if kind == "plate" else overview_ref
    data = request.app.state.images.get(ref) if ref else None
    if data is None:
        raise ApiError(404, "no_image", f"read {read_id} has no {kind} image on this server")
    return bytes(data)


@router.get(
    "/{read_id}/images/{kind}", response_class=Response,
    summary="A read's plate crop or overview image (decided as `view_image`, and logged)",
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def view_image(
    request: Request,
    user: CurrentUser,
    read_id: uuid.UUID,
    kind: ImageKind,
    plate: Annotated[str, Query(max_length=32, description="the read's plate")],
    purpose: Annotated[str, Query(max_length=64)],
    reason: Annotated[str, Query(max_length=1000)],
    case_number: Annotated[str | None, Query(max_length=64)] = None,
    requested_by: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    data = await asyncio.to_thread(_view, request, user, read_id, kind, plate, purpose,
                                   case_number, reason, requested_by)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
