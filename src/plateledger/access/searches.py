"""Investigative searches: the question built from a typed request, the search kind run
over the decided scope (with the held copies of the case), the audit entry, the answer.

`search` is the whole workflow of ``POST /v1/searches``; `decide_run_log` is the part
every access that reveals reads shares (exports too). A refusal raises `AccessDenied`, no
decision or no entry a `FailClosed`: no data either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plateledger.access.errors import AccessDenied
from plateledger.access.gate import AccessGate, lookback_days
from plateledger.access.held import with_held_copies
from plateledger.access.investigations import INVESTIGATIONS, run_investigation
from plateledger.catalog import Principal
from plateledger.policy.offense import OFFENSE_TYPES_URL, offense
from plateledger.retention.holds import HoldStore
from plateledger.search import (
    AreaError,
    Filters,
    SearchPage,
    search_area,
    search_exact,
    search_fuzzy,
    search_wildcard,
)
from plateledger.search.attributes import Vehicle
from plateledger.search.convoy import Convoy
from plateledger.search.scope import Scope
from plateledger.search.stakeout import Stakeout
from plateledger.store import ReadStore

__all__ = [
    "OwnerOutcome",
    "SearchCreate",
    "SearchKind",
    "SearchParams",
    "SearchResponse",
    "decide_run_log",
    "run_kind",
    "search",
]

SearchKind = Literal["exact", "wildcard", "fuzzy", "area", "timeline", "stakeout", "convoy",
                     "attributes"]


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
    stakeout: Stakeout | None = Field(default=None, description="stakeout: areas and k")
    convoy: Convoy | None = Field(default=None, description="convoy: time window and k")
    vehicle: Vehicle | None = Field(default=None, description="attributes: make, colour, type")
    offense_type: str | None = Field(
        default=None, max_length=8,
        description=f"NIBRS offense code (e.g. 240, 09A) from the list at {OFFENSE_TYPES_URL}",
    )

    @field_validator("offense_type")
    @classmethod
    def _known_offense(cls, value: str | None) -> str | None:
        return None if value is None else offense(value).code


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
    search_id: str | None = Field(
        default=None,
        description="this search's UUID: the same in the answer, its audit entry (query "
        "`search_id`), the audit export's ID column and case reports",
    )


def run_kind(
    store: ReadStore, holds: HoldStore, body: SearchCreate, scope: Scope, now: datetime
) -> SearchPage:
    """Run ``body``'s search kind over ``scope`` only. An exact search made for a case also
    reaches the copies its legal holds kept, under the same scope and limits."""
    filters = body.params.filters()
    plate = body.params.plate
    if body.kind in INVESTIGATIONS:
        return run_investigation(store, body, scope, filters)
    if body.kind != "area" and not plate:
        raise AccessDenied("plate_required", f"a {body.kind} search needs `params.plate`")
    try:
        if body.kind == "exact":
            page = search_exact(store, plate or "", scope, filters)
            return with_held_copies(store, holds, body.case_number, plate or "", filters,
                                    scope, page, now)
        if body.kind == "wildcard":
            return search_wildcard(store, plate or "", scope, filters)
        if body.kind == "fuzzy":
            return search_fuzzy(store, plate or "", scope, filters)
        return search_area(store, scope, filters, plate)
    except AreaError as exc:
        raise AccessDenied("unbounded_area", str(exc)) from None


def decide_run_log(
    gate: AccessGate, body: SearchCreate, user: Principal, *, action: str,
    execute: Callable[[Scope], SearchPage], entry_type: str = "search",
    now: datetime | None = None,
) -> SearchResponse:
    """Decide ``action`` per owner, run ``execute`` over the allowed owners, log, answer.

    Every access that reveals reads by a search (searches, exports) goes through here."""
    now = now or datetime.now(UTC)
    question = gate.question(
        user, action=action, purpose=body.purpose, case_number=body.case_number,
        reason=body.reason, requested_by=body.requested_by,
        lookback_days=lookback_days(body.params.since, now), now=now,
    )
    query = body.params.model_dump(mode="json", exclude_none=True)
    search_id = str(uuid.uuid4())
    query["search_id"] = search_id
    if body.offense_type:
        query["offense_type"] = body.offense_type
    decision, page, index = gate.run(
        question, kind=body.kind, query=query, execute=execute, entry_type=entry_type,
    )
    owners = [
        OwnerOutcome(owner_id=o.owner_id, allowed=o.allowed, policy_ids=list(o.policy_ids),
                     reasons=list(o.reasons), notes=list(o.notes))
        for o in decision.outcomes.values()
    ]
    return SearchResponse(**page.model_dump(), owners=owners, audit_index=index,
                          reason_flags=list(decision.reason_flags), search_id=search_id)


def search(
    gate: AccessGate, store: ReadStore, holds: HoldStore, body: SearchCreate,
    user: Principal, *, now: datetime | None = None,
) -> SearchResponse:
    """Run one search for ``user``: decided as ``search_<kind>`` per owner, logged as a
    ``search`` entry before it is answered."""
    now = now or datetime.now(UTC)
    return decide_run_log(
        gate, body, user, action=f"search_{body.kind}", now=now,
        execute=lambda scope: run_kind(store, holds, body, scope, now),
    )
