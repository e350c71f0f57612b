"""``GET /v1/reads/{read_id}/images/{kind}``: a read's plate crop or overview image.

Viewing an image is its own policy action (``view_image``), decided per owner like a
search (an agreement may share reads without their images), and logged as an
``image_view`` entry before any byte is sent. The read is then looked up inside the
allowed scope only (`plateledger.search.read_by_id`), so a read that does not exist and a
read the requester may not see answer alike. The plate is asked for with the read id so
that the read is found by primary key, not by a scan.
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
from plateledger.search.read_by_id import search_read

router = APIRouter(prefix="/v1/reads", tags=["search"])

ImageKind = Literal["plate", "overview"]


def _view(
    request: Request, user: Principal, read_id: uuid.UUID, kind: ImageKind, plate: str,
    purpose: str, case_number: str | None, reason: str, requested_by: str | None,
) -> bytes:
    """Decide ``view_image`` for every owner, look the read up inside the allowed scope,
    log, answer. A read that does not exist and a read of an owner that denied the view
    get the same 404, and the same audit entry: the answer depends only on what the
    decision allows."""
    try:
        normalized = normalize_plate(plate)
    except PlateError as exc:
        raise ApiError(422, "invalid_plate", str(exc)) from None
    gate: AccessGate = request.app.state.access
    store = request.app.state.store
    try:
        now = datetime.now(UTC)
        question = AccessQuestion(
            user=user, requested_by_id=gate.requested_by(user, requested_by),
            action="view_image", purpose=purpose, case_number=case_number or None,
            reason=reason, lookback_days=0, owners=gate.owners(), now=now,
        )
        decision, page, _ = gate.run(
            question, kind="image", query={"read_id": str(read_id), "plate": normalized,
                                           "image": kind},
            execute=lambda scope: search_read(store, read_id, normalized, scope),
            entry_type=EntryType.IMAGE_VIEW,
        )
    except AccessDenied as exc:
        raise ApiError(422, exc.code, exc.message) from None
    except (DecisionUnavailable, AuditUnavailable) as exc:
        raise ApiError(503, "fail_closed", f"{exc}; no image was returned") from None
    if not page.results:
        # Which owners refused is the same for every read id (it is the decision, not the
        # data): saying so tells the requester why without saying whose read this is.
        denied = [{"owner_id": o.owner_id, "policy_ids": list(o.policy_ids)}
                  for o in decision.outcomes.values() if not o.allowed]
        raise ApiError(404, "no_such_read", f"no read {read_id} of plate `{normalized}` whose "
                       "images you may view", {"owners_denied": denied})
    read = page.results[0]
    ref = read.image_plate if kind == "plate" else read.image_overview
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
