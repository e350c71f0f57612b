"""Investigative searches: ``POST /v1/searches`` (and a GET form for simple lookups)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from plateledger.access.gate import (
    AccessDenied,
    AccessGate,
    AccessQuestion,
    AuditUnavailable,
    DecisionUnavailable,
    lookback_days,
)
from plateledger.api.deps import CurrentUser
from plateledger.api.errors import ApiError
from plateledger.catalog import Principal
from plateledger.search import (
    AreaError,
    BoundingBox,
    Filters,
    Radius,
    SearchPage,
    search_area,
    search_exact,
    search_fuzzy,
    search_wildcard,
)
from plateledger.search.held import held_scope, search_held
from plateledger.search.result import ReadOut
from plateledger.search.scope import Scope

router = APIRouter(prefix="/v1/searches", tags=["search"])

SearchKind = Literal["exact", "wildcard", "fuzzy", "area"]


class SearchParams(Filters):
    """The plate (or pattern) and the filters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str | None = Field(
        default=None, max_length=32, description="plate (exact, fuzzy) or pattern (wildcard)"
    )

    def filters(self) -> Filters:
        return Filters.model_validate(self.model_dump(exclude={"plate"}))


class SearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SearchKind
    params: SearchParams
    purpose: str = Field(default="", max_length=64)
    case_number: str | None = Field(default=None, max_length=64)
    reason: str = Field(default="", max_length=1000)
    requested_by: str | None = Field(
        default=None, max_length=64, description="slug of the agency the search is run for"
    )


class OwnerOutcome(BaseModel):
    owner_id: int
    allowed: bool
    policy_ids: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(
        default_factory=list, description="each policy id of the decision, in a sentence"
    )
    notes: list[str] = Field(
        default_factory=list, description="how the limits narrowed the search (lookback)"
    )


class SearchResponse(SearchPage):
    owners: list[OwnerOutcome] = Field(description="each data owner asked, and the decision")
    reason_flags: list[str] = Field(
        default_factory=list, description="what the screening of the reason flagged"
    )
    audit_index: int | None = Field(
        default=None, description="index of this search's entry in the audit log"
    )


def run_search(request: Request, body: SearchCreate, scope: Scope) -> SearchPage:
    store = request.app.state.store
    filters = body.params.filters()
    plate = body.params.plate
    if body.kind != "area" and not plate:
        raise ApiError(422, "plate_required", f"a {body.kind} search needs `params.plate`")
    try:
        if body.kind == "exact":
            page = search_exact(store, plate or "", scope, filters)
            return with_held_copies(request, body, scope, page)
        if body.kind == "wildcard":
            return search_wildcard(store, plate or "", scope, filters)
        if body.kind == "fuzzy":
            return search_fuzzy(store, plate or "", scope, filters)
        return search_area(store, scope, filters, plate)
    except AreaError as exc:
        raise ApiError(422, "unbounded_area", str(exc)) from None


def with_held_copies(
    request: Request, body: SearchCreate, scope: Scope, page: SearchPage
) -> SearchPage:
    """An exact search made for a case also reaches the copies that the case's legal holds
    kept past their clock — only of owners this search may read, and only on the first
    page (held copies are few: a hold names one case)."""
    retention = getattr(request.app.state, "retention", None)
    if not body.case_number or retention is None or body.params.offset:
        return page
    holds = [h for h in retention.holds.for_case(body.case_number, datetime.now(UTC))
             if h.owner_agency in scope.owners]
    if not holds:
        return page
    filters = body.params.filters()
    found: list[ReadOut] = []
    for hold in holds:
        held = search_held(request.app.state.store, held_scope(request.app.state.store,
                                                              [hold.hold_id]),
                           filters, body.params.plate,
                           images=scope.images_allowed(hold.owner_agency))
        found += [r.model_copy(update={"held_for": hold.hold_id}) for r in held.results]
    seen = {r.read_id for r in page.results}
    extra = [r for r in found if r.read_id not in seen]
    return page.model_copy(update={"results": page.results + extra,
                                   "total": page.total + len(extra)})


def _decide_search_log(request: Request, body: SearchCreate, user: Principal) -> SearchResponse:
    return decide_run_log(request, body, user, action=f"search_{body.kind}",
                          execute=lambda scope: run_search(request, body, scope))


def decide_run_log(
    request: Request, body: SearchCreate, user: Principal, *, action: str,
    execute: Callable[[Scope], SearchPage], entry_type: str = "search",
) -> SearchResponse:
    """Decide ``action`` per owner, run ``execute`` over the allowed owners, log, answer.

    Every path that reveals reads (searches, exports) goes through here; a refusal is a
    4xx naming the rule, and no decision or no audit entry is a 503 with no data."""
    gate: AccessGate = request.app.state.access
    now = datetime.now(UTC)
    filters = body.params.filters()
    try:
        question = AccessQuestion(
            user=user,
            requested_by_id=gate.requested_by(user, body.requested_by),
            action=action,
            purpose=body.purpose,
            case_number=body.case_number or None,
            reason=body.reason,
            lookback_days=lookback_days(filters.since, now),
            owners=gate.owners(),
            now=now,
        )
        query = body.params.model_dump(mode="json", exclude_none=True)
        decision, page, index = gate.run(
            question, kind=body.kind, query=query, execute=execute, entry_type=entry_type,
        )
    except AccessDenied as exc:
        raise ApiError(422, exc.code, exc.message) from None
    except (DecisionUnavailable, AuditUnavailable) as exc:
        raise ApiError(503, "fail_closed", f"{exc}; no data was returned") from None
    owners = [
        OwnerOutcome(owner_id=o.owner_id, allowed=o.allowed, policy_ids=list(o.policy_ids),
                     reasons=list(o.reasons), notes=list(o.notes))
        for o in decision.outcomes.values()
    ]
    return SearchResponse(**page.model_dump(), owners=owners, audit_index=index,
                          reason_flags=list(decision.reason_flags))


async def perform(request: Request, body: SearchCreate, user: Principal) -> SearchResponse:
    return await asyncio.to_thread(_decide_search_log, request, body, user)


@router.post("", response_model=SearchResponse, summary="Run a search")
async def create_search(request: Request, body: SearchCreate, user: CurrentUser) -> SearchResponse:
    return await perform(request, body, user)


@router.get("", response_model=SearchResponse, summary="Run a search given as query parameters")
async def get_search(
    request: Request,
    user: CurrentUser,
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
    return await perform(request, body, user)
