"""Investigative searches: ``POST /v1/searches`` (and a GET form for simple lookups).

HTTP shape only: the workflow — question, decision, search, held copies, audit entry — is
`plateledger.access.searches`; its errors become HTTP answers in `plateledger.api.errors`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from plateledger.access import searches
from plateledger.access.searches import SearchCreate, SearchKind, SearchParams, SearchResponse
from plateledger.api.deps import CurrentUser, GateDep, HoldsDep, StoreDep
from plateledger.search import BoundingBox, Radius

router = APIRouter(prefix="/v1/searches", tags=["search"])


@router.post("", response_model=SearchResponse, summary="Run a search")
async def create_search(
    body: SearchCreate, user: CurrentUser, gate: GateDep, store: StoreDep, holds: HoldsDep,
) -> SearchResponse:
    return await asyncio.to_thread(searches.search, gate, store, holds, body, user)


@router.get("", response_model=SearchResponse, summary="Run a search given as query parameters")
async def get_search(
    user: CurrentUser,
    gate: GateDep,
    store: StoreDep,
    holds: HoldsDep,
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
    body = SearchCreate(
        kind=kind, params=params, purpose=purpose, case_number=case_number, reason=reason,
        requested_by=requested_by,
    )
    return await asyncio.to_thread(searches.search, gate, store, holds, body, user)
