"""Investigative searches: the question built from a typed request, the search kind run
over the decided scope (with the held copies of the case), the audit entry, the answer.

`search` is the whole workflow of ``POST /v1/searches``; `decide_run_log` is the part
every access that reveals reads shares (exports too). A refusal raises `AccessDenied`, no
decision or no entry a `FailClosed`: no data either way.

Every search and export names an offense type from the closed NIBRS list
(``/v1/offense-types``) beside its purpose, and its case number has the format the user's
agency set, if it set one. A pattern-of-life (``locate``) search also carries its legal
basis (a warrant or court-order number and the issuing court, recorded in its entry) and,
where its owners' packs or the agencies' rules demand it, waits for a supervisor's
approval (`plateledger.access.approvals`): it then raises `ApprovalPending` with the
pending approval, and nothing about the reads is looked at.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plateledger.access.approvals import (
    ApprovalOut,
    ApprovalPending,
    ApprovalRow,
    Approvals,
    audit_fields,
    check_case_number,
)
from plateledger.access.errors import AccessDenied
from plateledger.access.gate import AccessGate, AccessQuestion, Decision, lookback_days
from plateledger.access.held import asking_agencies, with_held_copies
from plateledger.access.investigations import INVESTIGATIONS, run_investigation, run_locate
from plateledger.access.legal_basis import LegalBasis, LegalBasisRequired, require_legal_basis
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
from plateledger.search.filters import MAX_PAGE
from plateledger.search.scope import Scope
from plateledger.search.stakeout import Stakeout
from plateledger.store import ReadStore

__all__ = [
    "ApprovalRequired",
    "Asking",
    "OwnerOutcome",
    "RemoteOwner",
    "SearchCreate",
    "SearchKind",
    "SearchParams",
    "SearchResponse",
    "decide_run_log",
    "held_asking",
    "run_kind",
    "search",
]

SearchKind = Literal["exact", "wildcard", "fuzzy", "area", "timeline", "stakeout", "convoy",
                     "locate", "attributes"]



@dataclass(frozen=True)
class Asking:
    """Where partner nodes take part (docs/federation.md): the owners this node decides
    (``None``: every agency of the catalog; with partners registered, only those no
    partner node answers for), the search UUID a partner node sent, what the entry records
    beside (the partner's node, the page asked), and whether a partner node asks (then no
    held copy of a case is reached, and a locate that must wait for a supervisor is
    refused with `ApprovalRequired` instead of waiting here)."""

    owners: tuple[int, ...] | None = None
    search_id: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    partner: bool = False
    approval: Mapping[str, Any] | None = None
    """A partner's pattern of life: the supervisor's approval the asking node vouches for
    (what the entry records of it); a locate that waits for a supervisor here runs with
    it instead of being refused."""


class ApprovalRequired(AccessDenied):
    """A partner node's pattern-of-life search that this node's packs or rules make wait
    for a supervisor: refused, no approval is requested here, nothing about the reads is
    looked at."""

    def __init__(self, question: AccessQuestion, decision: Decision, because: list[str]) -> None:
        super().__init__("approval_required", "this pattern-of-life search waits for a "
                         "supervisor's approval here: " + "; ".join(because))
        self.question = question
        self.decision = decision
        self.because = because


OFFENSE_REQUIRED = (
    f"`offense_type` is required: the NIBRS offense code the search is for (e.g. 240, 09A), "
    f"from the list at {OFFENSE_TYPES_URL}"
)


class SearchParams(Filters):
    """The plate (or pattern) and the filters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str | None = Field(
        default=None, max_length=32, description="plate (exact, fuzzy) or pattern (wildcard)"
    )

    def filters(self) -> Filters:
        data = self.model_dump(exclude={"plate"})
        # A page across nodes asks each node for its first `offset + limit` results, which
        # may pass one page of the API (`plateledger.access.federated_pages.window`: a copy
        # made here, never a client's input, which was validated on the way in).
        limit = data["limit"]
        data["limit"] = min(limit, MAX_PAGE)
        return Filters.model_validate(data).model_copy(update={"limit": limit})


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
    offense_type: str = Field(
        max_length=8,
        description=f"required: the NIBRS offense code (e.g. 240, 09A) from the list at "
        f"{OFFENSE_TYPES_URL}",
    )
    legal_basis: LegalBasis | None = Field(
        default=None, description="the warrant or court order (its number and issuing court) "
        "the search is made under; recorded in its audit entry. Required for a locate "
        "(pattern of life), and for a timeline, convoy or locate of Minnesota data for "
        "purpose `warrant` or `court_order` (Minn. Stat. 13.824 subd. 2)")
    approval_id: str | None = Field(
        default=None, max_length=36,
        description="locate: the supervisor's approval (from the 202 answer of the first "
        "request, once approved) this search uses; once")
    page_token: str | None = Field(
        default=None, max_length=512,
        description="a later page of a search: the `page_token` of its answer, with the same "
        "body but for `params.offset` and `params.limit`. The page is decided and logged as "
        "a page of that search (`page_of` in its entry), not counted as a new search")

    @model_validator(mode="before")
    @classmethod
    def _offense_named(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("offense_type"):
            raise ValueError(OFFENSE_REQUIRED)
        return data

    @field_validator("offense_type")
    @classmethod
    def _known_offense(cls, value: str) -> str:
        return offense(value).code

    @field_validator("case_number")
    @classmethod
    def _case_number_as_stored(cls, value: str | None) -> str | None:
        """The case number as a case stores it (`plateledger.access.cases.clean_number`):
        blanks around it removed, so a search made under ``" N "`` is one of case ``N``,
        and none for blanks alone; invisible or control characters are refused, so no
        spelling of a number keeps a search out of its case's review."""
        if value is None:
            return None
        text = value.strip()
        if not text.isprintable():
            raise ValueError("a case number holds printable characters only")
        return text or None


class OwnerOutcome(BaseModel):
    owner_id: int
    agency: str | None = Field(default=None, description="the owner agency's slug")
    agency_name: str | None = Field(default=None, description="the owner agency's name")
    allowed: bool
    policy_ids: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(
        default_factory=list, description="each policy id of the decision, in a sentence"
    )
    notes: list[str] = Field(
        default_factory=list, description="how the limits narrowed the search (lookback)"
    )


class RemoteOwner(BaseModel):
    """An owner a partner node answers for, as that node decided (docs/federation.md)."""

    node: str = Field(description="the partner node the search was sent to")
    agency: str = Field(description="the owner agency (its slug)")
    owner_id: int | None = Field(default=None, description="its id in this catalog")
    status: Literal["allowed", "denied", "unavailable"]
    returned: int = Field(default=0, description="its reads in this answer")
    policy_ids: list[str] = Field(default_factory=list, description="denied: the owner's rules")
    reasons: list[str] = Field(default_factory=list)
    code: str | None = Field(
        default=None, description="unavailable: `timeout`, `unreachable`, `bad_answer`, or "
        "the node's refusal code; denied: `approval_required` where the owner's packs or "
        "rules make a pattern of life wait for a supervisor")
    audit_index: int | None = Field(
        default=None, description="the index of the search's entry in the node's own log")


class LocatePage(SearchPage):
    """A pattern of life: counts of the plate's reads, no rows."""

    pattern: dict[str, Any] | None = Field(
        default=None, description="locate: the plate's reads by UTC hour of day (`by_hour`, "
        "24 counts), by weekday (`by_weekday`, Monday first) and by camera (`places`)")


class SearchResponse(LocatePage):
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
    remote_owners: list[RemoteOwner] | None = Field(
        default=None, description="with partner nodes registered: each owner a partner "
        "node answers for, as it decided; its allowed reads are in `results`")
    federation_audit_index: int | None = Field(
        default=None, description="index of the entry recording the search's fan-out to "
        "partner nodes in this node's log")
    approval: ApprovalOut | None = Field(
        default=None, description="locate: a partner node's owner makes the search wait for "
        "a supervisor's approval — this node's pending approval for it (`because` says "
        "whose); once approved, post the search again with its `approval_id`: the partner "
        "is told of the approval and answers")
    page_token: str | None = Field(
        default=None, description="ask another page of this search with this token in the "
        "request (`page_token`, the body otherwise the same but for `params.offset` and "
        "`params.limit`): it is logged as a page of this search; good for 8 hours, for the "
        "same user")
    page_of: str | None = Field(
        default=None, description="a page asked with a `page_token`: the UUID of the search "
        "it is a page of (its first page's `search_id`)")


def run_kind(
    store: ReadStore, holds: HoldStore | None, body: SearchCreate, scope: Scope, now: datetime,
    *, asking: frozenset[int], rows_offset: int = 0,
) -> SearchPage:
    """Run ``body``'s search kind over ``scope`` only. An exact search made for a case also
    reaches the copies its legal holds kept, under the same scope and limits, where
    ``asking`` (`held_asking`) is the case's agency alone (not with ``holds`` ``None``: a
    partner node's case numbers are not this node's cases). ``rows_offset``: see
    `run_investigation`."""
    filters = body.params.filters()
    plate = body.params.plate
    if body.kind == "locate":
        # Only `search` runs a pattern of life, behind its legal-basis gate.
        raise AccessDenied("locate_not_here", "a pattern-of-life (locate) search runs only "
                           "as POST /v1/searches, with its legal basis")
    if body.kind in INVESTIGATIONS:
        return run_investigation(store, body, scope, filters, rows_offset=rows_offset)
    if body.kind != "area" and not plate:
        raise AccessDenied("plate_required", f"a {body.kind} search needs `params.plate`")
    try:
        if body.kind == "exact":
            page = search_exact(store, plate or "", scope, filters)
            if holds is None:
                return page
            return with_held_copies(store, holds, body.case_number, plate or "", filters,
                                    scope, page, now, asking=asking)
        if body.kind == "wildcard":
            return search_wildcard(store, plate or "", scope, filters)
        if body.kind == "fuzzy":
            return search_fuzzy(store, plate or "", scope, filters)
        return search_area(store, scope, filters, plate)
    except AreaError as exc:
        raise AccessDenied("unbounded_area", str(exc)) from None


def held_asking(gate: AccessGate, body: SearchCreate, user: Principal) -> frozenset[int]:
    """The agencies ``user``'s search ``body`` is made by and for (`asking_agencies`):
    held copies reach it only where they are one, the hold's case agency."""
    return asking_agencies(user, gate.requested_by(user, body.requested_by))


def decide_run_log(
    gate: AccessGate, body: SearchCreate, user: Principal, *, action: str,
    execute: Callable[[Scope], SearchPage], entry_type: str = "search",
    now: datetime | None = None, recorded: Mapping[str, Any] | None = None,
    asking: Asking | None = None, also: tuple[str, ...] = (),
) -> SearchResponse:
    """Decide ``action`` per owner, run ``execute`` over the allowed owners, log, answer.

    Every access that reveals reads by a search (searches, exports) goes through here;
    ``recorded`` adds to the query its entry records (a locate's approval); ``asking``
    narrows the owners decided and names a partner's search UUID (`Asking`); ``also``:
    further actions every owner must allow too (an export's search kind)."""
    now = now or datetime.now(UTC)
    asking = asking or Asking()
    check_agency_rules(gate, body, user)
    question = ask(gate, body, user, action, now, asking)
    query = body.params.model_dump(mode="json", exclude_none=True)
    search_id = asking.search_id or str(uuid.uuid4())
    query["search_id"] = search_id
    query["offense_type"] = body.offense_type
    for part in ("stakeout", "convoy", "vehicle"):  # what the kind searched for, not just params
        value = getattr(body, part)
        if value is not None:
            query[part] = value.model_dump(mode="json", exclude_none=True)
    if body.legal_basis is not None:  # what a decision leaning on it rests on
        query["legal_basis"] = body.legal_basis.model_dump(mode="json")
    query.update(recorded or {})
    decision, page, index = gate.run(
        question, kind=body.kind, query=query, execute=execute, entry_type=entry_type,
        facts={"offense_type": body.offense_type, **asking.facts}, also=also,
    )
    agencies = gate.view.current().agencies  # names are public (the transparency portals)
    owners = [
        OwnerOutcome(owner_id=o.owner_id, allowed=o.allowed, policy_ids=list(o.policy_ids),
                     reasons=list(o.reasons), notes=list(o.notes),
                     agency=getattr(agencies.get(o.owner_id), "slug", None),
                     agency_name=getattr(agencies.get(o.owner_id), "name", None))
        for o in decision.outcomes.values()
    ]
    return SearchResponse(**page.model_dump(), owners=owners, audit_index=index,
                          reason_flags=list(decision.reason_flags), search_id=search_id)


def ask(
    gate: AccessGate, body: SearchCreate, user: Principal, action: str, now: datetime,
    asking: Asking,
) -> AccessQuestion:
    """The question of ``body``, asked of the owners ``asking`` names (every agency
    without)."""
    question = gate.question(
        user, action=action, purpose=body.purpose, case_number=body.case_number,
        reason=body.reason, requested_by=body.requested_by,
        lookback_days=lookback_days(body.params.since, now), now=now,
    )
    owners = question.owners if asking.owners is None else list(asking.owners)
    return replace(question, owners=owners, has_legal_basis=body.legal_basis is not None)


def check_agency_rules(gate: AccessGate, body: SearchCreate, user: Principal) -> None:
    """The case number has the format the user's agency set (422 ``case_number_format``)."""
    agency = gate.catalog.agency(user.agency_id)
    slug = agency.slug if agency is not None else str(user.agency_id)
    rules = Approvals(gate.catalog, gate.audit_log).rules(user.agency_id)
    check_case_number(rules, body.case_number, slug)


def search(
    gate: AccessGate, store: ReadStore, holds: HoldStore | None, body: SearchCreate,
    user: Principal, *, now: datetime | None = None, asking: Asking | None = None,
) -> SearchResponse:
    """Run one search for ``user``: decided as ``search_<kind>`` per owner, logged as a
    ``search`` entry before it is answered. A pattern of life that must wait for a
    supervisor raises `ApprovalPending` with its pending approval instead (logged too),
    and reveals nothing (`ApprovalRequired` where a partner node asks)."""
    now = now or datetime.now(UTC)
    asking = asking or Asking()
    if body.kind == "locate":
        return locate(gate, store, body, user, now, asking)
    held = None if asking.partner else holds
    return decide_run_log(
        gate, body, user, action=f"search_{body.kind}", now=now, asking=asking,
        execute=lambda scope: run_kind(store, held, body, scope, now,
                                       asking=held_asking(gate, body, user)),
    )


def locate(
    gate: AccessGate, store: ReadStore, body: SearchCreate, user: Principal, now: datetime,
    asking: Asking | None = None,
) -> SearchResponse:
    """The legal-basis gate, then the pattern of life. Whether it waits for a supervisor is
    decided from policy and settings before any read is looked at, so a pending answer
    says nothing of the plate."""
    try:
        basis = require_legal_basis(body.legal_basis)
    except LegalBasisRequired as exc:
        raise AccessDenied(LegalBasisRequired.code, str(exc)) from None
    if not body.params.plate:
        raise AccessDenied("plate_required", "a locate search needs `params.plate`")
    asking = asking or Asking()
    check_agency_rules(gate, body, user)
    question = ask(gate, body, user, "search_locate", now, asking)
    decision = gate.decide(question)
    book = Approvals(gate.catalog, gate.audit_log)
    because = book.needed(question, decision)
    approval: ApprovalRow | None = None
    if asking.partner:
        if because and asking.approval is None:
            raise ApprovalRequired(question, decision, because)
    elif body.approval_id is not None:
        approval = book.consume(body.approval_id, user, body, basis, question.requested_by_id,
                                now)
    elif because:
        raise ApprovalPending(book.request(gate, question, decision, body, basis, because, now))
    try:
        return decide_run_log(
            gate, body, user, action="search_locate", now=now, asking=asking,
            recorded={**audit_fields(approval), **(asking.approval or {})},
            execute=lambda scope: run_locate(store, body, scope),
        )
    except BaseException:
        if approval is not None:
            book.restore(approval.id)
        raise
