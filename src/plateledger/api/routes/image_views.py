"""``GET /v1/reads/{read_id}/images/{kind}``: a read's plate crop or overview image.

Viewing an image is its own policy action (``view_image``), decided for the read's owner
(an agreement may share reads without their images), and logged as an ``image_view``
entry before any byte is sent (`AccessGate.record`). The plate is asked for with the read id
so that the read is found by primary key, not by a scan.
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
    AuditUnavailable,
    DecisionUnavailable,
)
from plateledger.api.deps import CurrentUser
from plateledger.api.errors import ApiError
from plateledger.audit.entry import EntryType
from plateledger.catalog import Principal
from plateledger.plates import PlateError, normalize_plate
from plateledger.search.reads import find_read

router = APIRouter(prefix="/v1/reads", tags=["search"])

ImageKind = Literal["plate", "overview"]


def _view(
    request: Request, user: Principal, read_id: uuid.UUID, kind: ImageKind, plate: str,
    purpose: str, case_number: str | None, reason: str, requested_by: str | None,
) -> bytes:
    try:
        normalized = normalize_plate(plate)
    except PlateError as exc:
        raise ApiError(422, "invalid_plate", str(exc)) from None
    read = find_read(request.app.state.store, read_id, normalized)
    if read is None:
        raise ApiError(404, "no_such_read", f"no read {read_id} of plate {normalized}")
    gate: AccessGate = request.app.state.access
    try:
        question = AccessQuestion(
            user=user, requested_by_id=gate.requested_by(user, requested_by),
            action="view_image", purpose=purpose, case_number=case_number or None,
            reason=reason, lookback_days=0, owners=[read.owner_id], now=datetime.now(UTC),
        )
        decision = gate.decide(question)
        outcome = decision.outcomes[read.owner_id]
        allowed = outcome.allowed and (outcome.limit is None or outcome.limit.images)
        names = {a.id: a.slug for a in gate.catalog.agencies()}
        gate.record(question, decision, EntryType.IMAGE_VIEW, names=names,
                    owner_agency=names.get(read.owner_id, str(read.owner_id)),
                    read_id=str(read_id), image=kind, allowed=allowed,
                    policy_ids=list(outcome.policy_ids))
    except AccessDenied as exc:
        raise ApiError(422, exc.code, exc.message) from None
    except (DecisionUnavailable, AuditUnavailable) as exc:
        raise ApiError(503, "fail_closed", f"{exc}; no image was returned") from None
    if not outcome.allowed:
        raise ApiError(403, "denied", "policy does not allow viewing this owner's images: "
                       + ", ".join(outcome.policy_ids))
    if not allowed:
        raise ApiError(403, "images_not_shared", "the agreement with this owner shares reads "
                       "but not their images")
    ref = read.images.plate if kind == "plate" else read.images.overview
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
