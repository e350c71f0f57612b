"""Investigative searches: ``POST /v1/searches`` (and a GET form for simple lookups).

HTTP shape only: the workflow — question, decision, search, held copies, audit entry — is
`plateledger.access.searches`; its errors become HTTP answers in `plateledger.api.errors`
(an approval that cannot be used here in `approval_errors`). A pattern-of-life search
that waits for a supervisor answers 202 with its pending approval.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from plateledger.access import federated
from plateledger.access.approvals import ApprovalError, ApprovalOut, ApprovalPending
from plateledger.access.searches import SearchCreate, SearchKind, SearchParams, SearchResponse
from plateledger.api.deps import CurrentUser, GateDep, HoldsDep, NodeLinkDep, StoreDep
from plateledger.api.errors import ApiError
from plateledger.policy.offense import OFFENSE_TYPES_URL
from plateledger.search import BoundingBox, Radius

router = APIRouter(prefix="/v1/searches", tags=["search"])


@contextmanager
def approval_errors() -> Iterator[None]:
    """An approval that cannot be used or decided: its own status (403, 404, 409, 410)."""
    try:
        yield
    except ApprovalError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None


PENDING: dict[int | str, dict[str, Any]] = {
    202: {"model": ApprovalOut, "description": "a pattern-of-life search waits for a "
          "supervisor: its pending approval (logged), nothing about the reads"},
}


@router.post("", response_model=SearchResponse, summary="Run a search", responses=PENDING)
async def create_search(
    body: SearchCreate, user: CurrentUser, gate: GateDep, store: StoreDep, holds: HoldsDep,
    link: NodeLinkDep,
) -> Any:
    # Decided here for this node's own owners, then sent to the partner nodes that answer
    # for the others and merged into one page (docs/federation.md); with none registered
    # the answer is the local one.
    try:
        with approval_errors():
            return await asyncio.to_thread(
                federated.search, gate, store, holds, body, user, link=link
            )
    except ApprovalPending as pending:
        return JSONResponse(pending.approval.model_dump(mode="json"), status_code=202)


@router.get("", response_model=SearchResponse, summary="Run a search given as query parameters")
async def get_search(
    user: CurrentUser,
    gate: GateDep,
    store: StoreDep,
    holds: HoldsDep,
    link: NodeLinkDep,
    kind: SearchKind = "exact",
    plate: Annotated[str | None, Query(max_length=32)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    camera: Annotated[list[str] | None, Query(max_length=1000)] = None,
    region: Annotated[str | None, Query(max_length=8)] = None,
    south: float | None = None,
    west: float | None = None,
    north: float | None = None,
    east: float | None = None,
    lat: float | None = None,
    lon: float | None = None,
    meters: float | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    purpose: Annotated[str, Query(max_length=64)] = "",
    case_number: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str, Query(max_length=1000)] = "",
    requested_by: Annotated[str | None, Query(max_length=64)] = None,
    offense_type: Annotated[str | None, Query(
        max_length=8, description=f"required: a NIBRS offense code from {OFFENSE_TYPES_URL}",
    )] = None,
    page_token: Annotated[str | None, Query(
        max_length=512, description="a later page of a search: its answer's `page_token`",
    )] = None,
) -> SearchResponse:
    bbox = None
    if None not in (south, west, north, east):
        bbox = BoundingBox(south=south, west=west, north=north, east=east)
    radius = None
    if None not in (lat, lon, meters):
        radius = Radius(lat=lat, lon=lon, meters=meters)
    params = SearchParams(
        plate=plate, since=since, until=until, cameras=tuple(camera or ()), region=region,
        bbox=bbox, radius=radius, limit=limit, offset=offset,
    )
    body = SearchCreate.model_validate({
        "kind": kind, "params": params, "purpose": purpose, "case_number": case_number,
        "reason": reason, "requested_by": requested_by, "offense_type": offense_type,
        "page_token": page_token,
    })
    if body.kind == "locate":
        raise ApiError(422, "legal_basis_required", "a pattern-of-life (locate) search is "
                       "posted (POST /v1/searches) with its `legal_basis`")
    return await asyncio.to_thread(
        federated.search, gate, store, holds, body, user, link=link
    )
