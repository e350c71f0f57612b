"""A partner node's search, answered by this (the owner's) node through the same gate;
and a local user's search, sent to the partner nodes that answer for other owners.

The owner's side. A request arrives signed by a registered node
(`plateledger.federation.verify`); this module maps it to the question of a local search
and runs it through the same workflow (`plateledger.access.searches.search`: the same
action per kind, lookback, caps, legal-basis gate, decision per owner, search within the
decision, audit entry):

- the principal is the remote user, of the agency the request names — which must be one
  the node is registered for — with that agency's class, home state and jurisdiction as
  *this* catalog records them (never as the request says); its user id is negative and
  derived from node and user name, so that it never meets a local user's (the denial
  alarms and throttle count it on its own); its roles are those the node vouches for,
  of the roles that may search;
- the owners asked are this node's own agencies: those no registered node answers for;
- the entry carries the search UUID the requester sent (query ``search_id``) and the node
  (``requesting_node``, ``requesting_key_id``), so the two nodes' logs can be joined;
- the answer lists each owner asked, allowed (with the number of reads it released) or
  denied (with its rule ids), and only the reads (and the ranked plates, path or pattern)
  of the owners that allowed it;
- a pattern of life (locate) that this node's packs or rules make wait for a supervisor
  is not run: each owner is answered denied, those the decision allowed with the code
  ``approval_required`` and why, and the refusal is logged (no approval is requested
  here: the requester's supervisors are not this node's users).

A search UUID already answered for the same node is refused (`SearchIdReused`, 409).

The requesting side: `search` runs a local user's search here over this node's own
owners only, then `fan_out` sends it to every registered partner node in parallel, logs
the fan-out (a ``federated_search`` entry: the UUID, each node asked, how it ended, the
owner's entry index, the page returned) and only then merges the partners' allowed
results into the page (`plateledger.access.federated_pages`) and lists their owners as
allowed, denied or unavailable.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from concurrent.futures import Future, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plateledger.access import continuation, searches
from plateledger.access.approvals import Approvals
from plateledger.access.digest import result_digest
from plateledger.access.errors import AccessDenied, AuditUnavailable
from plateledger.access.federated_pages import (
    MAX_COUNT,
    MAX_WINDOW,
    NodePage,
    deepest,
    merge_pages,
    window,
)
from plateledger.access.gate import AccessGate
from plateledger.access.legal_basis import LegalBasis
from plateledger.access.searches import (
    ApprovalRequired,
    Asking,
    RemoteOwner,
    SearchCreate,
    SearchKind,
    SearchParams,
    SearchResponse,
)
from plateledger.audit.entry import new_entry
from plateledger.catalog import Agency, Principal
from plateledger.catalog.approvals import approval_row
from plateledger.catalog.models import NodeNonce
from plateledger.catalog.nodes import nodes, remote_agency_slugs
from plateledger.federation import NodeAnswer, NodeLink
from plateledger.plates import normalize_plate
from plateledger.policy.offense import OFFENSE_TYPES_URL, offense
from plateledger.retention.holds import HoldStore
from plateledger.search import ReadOut
from plateledger.search.attributes import Vehicle
from plateledger.search.convoy import Convoy
from plateledger.search.filters import MAX_PAGE
from plateledger.search.stakeout import Stakeout
from plateledger.store import ReadStore

__all__ = [
    "FEDERATED_SEARCH",
    "SEARCH_PATH",
    "SEARCH_ROLES",
    "FederatedOwner",
    "FederatedSearch",
    "FederatedSearchResponse",
    "RemoteApproval",
    "RemoteRequester",
    "SearchIdReused",
    "admit",
    "ask_partners",
    "fan_out",
    "federated_search",
    "local_owners",
    "owner_answer",
    "partner_request",
    "partners",
    "record_fan_out",
    "remote_principal",
    "search",
]

SEARCH_ROLES = frozenset({"investigator", "supervisor", "dispatcher"})
"""The roles a node may vouch for: those the role pack lets search at all."""

SEARCH_PATH = "/v1/federation/searches"
FEDERATED_SEARCH = "federated_search"
"""The requesting node's entry of a search's fan-out to its partner nodes."""

SEARCH_ID_KEPT = datetime(9999, 12, 31, tzinfo=UTC)
"""The ``seen_at`` of a search UUID a node has answered (``node_nonces``, nonce
``search:<uuid>``): never purged, so that the UUID is refused for good."""

APPROVAL_REQUIRED = "approval_required"

log = logging.getLogger(__name__)


class SearchIdReused(AccessDenied):
    """A search UUID this node already answered for the same node (HTTP 409)."""


class ApprovalReused(SearchIdReused):
    """A vouched approval that already ran a search here for the same node (HTTP 409)."""


class RemoteRequester(BaseModel):
    """Who asks, as the requesting node vouches: its user, their agency (a slug this node
    registered that node for), and their roles. The agency's class named here is
    recorded, never used: this node's catalog decides it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str = Field(min_length=1, max_length=64)
    agency: str = Field(min_length=1, max_length=64)
    agency_class: str | None = Field(default=None, max_length=16)
    roles: list[str] = Field(default_factory=list, max_length=8)


class RemoteApproval(BaseModel):
    """A supervisor's approval of a pattern of life, as the requesting node vouches: given
    there, by a supervisor of the requester's agency, for this plate and legal basis (and
    used there once, by this search)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    approval_id: str = Field(min_length=1, max_length=64)
    approved_by: str = Field(min_length=1, max_length=64, description="the supervisor")
    decided_at: datetime
    plate: str = Field(max_length=32, description="the plate it was granted for")
    legal_basis: LegalBasis
    decision_audit_index: int | None = Field(
        default=None, ge=0, le=MAX_COUNT, description="the approval's decision entry in the "
        "requesting node's log")


class FederatedSearch(BaseModel):
    """The body of a signed ``POST /v1/federation/searches``."""

    model_config = ConfigDict(extra="forbid")

    search_id: uuid.UUID = Field(description="the requester's search UUID: both logs record it")
    kind: SearchKind = "exact"
    params: SearchParams
    stakeout: Stakeout | None = Field(default=None, description="stakeout: areas and k")
    convoy: Convoy | None = Field(default=None, description="convoy: time window and k")
    vehicle: Vehicle | None = Field(default=None, description="attributes: make, colour, type")
    requester: RemoteRequester
    purpose: str = Field(max_length=64)
    offense_type: str = Field(
        max_length=8, description=f"a NIBRS offense code from {OFFENSE_TYPES_URL}"
    )
    case_number: str | None = Field(default=None, max_length=64)
    reason: str = Field(default="", max_length=1000)
    legal_basis: LegalBasis | None = None
    requester_audit_index: int | None = Field(
        default=None,
        ge=0,
        le=MAX_COUNT,
        description="the index of the search's entry in the requesting "
        "node's log: the owner's entry records it (`requesting_audit_index`)",
    )
    approval: RemoteApproval | None = Field(
        default=None, description="locate: the supervisor's approval the requesting node "
        "vouches for, where this node's packs or rules make the search wait for one")
    window: int | None = Field(
        default=None,
        ge=1,
        le=MAX_WINDOW,
        description="a page of reads deeper than one page of the API: the first `window` "
        "results are asked for (`params.offset` 0), in place of `params.limit`",
    )

    @field_validator("offense_type")
    @classmethod
    def _known_offense(cls, value: str) -> str:
        return offense(value).code

    def search(self) -> SearchCreate:
        """The same search as a local user's (made for the requester's own agency); raises
        `AccessDenied` (``page_too_deep``) for a ``window`` past `deepest` for its kind."""
        params = self.params
        if self.window is not None:
            if self.window > deepest(self.kind) or params.offset:
                raise AccessDenied(
                    "page_too_deep", f"a window of {self.window} results from offset "
                    f"{params.offset} is not answered for a {self.kind} search",
                )
            # a copy, not validated: the window may pass one page of the API
            params = params.model_copy(update={"limit": self.window})
        return SearchCreate(
            kind=self.kind,
            params=params,
            purpose=self.purpose,
            case_number=self.case_number,
            reason=self.reason,
            stakeout=self.stakeout,
            convoy=self.convoy,
            vehicle=self.vehicle,
            offense_type=self.offense_type,
            legal_basis=self.legal_basis,
        )


class FederatedOwner(BaseModel):
    """One owner's decision in a node's answer. Its integers are bounded (`MAX_COUNT`) as
    the answer's are."""

    agency: str
    owner_id: int = Field(
        ge=0,
        le=MAX_COUNT,
        description="the agency's id in the owner node's catalog, as in the reads' `owner_id`",
    )
    allowed: bool
    policy_ids: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    returned: int = Field(
        default=0, ge=0, le=MAX_COUNT, description="reads of this owner in the answer"
    )
    code: str | None = Field(
        default=None,
        description="denied: `approval_required` where this node's packs or rules make a "
        "pattern of life wait for a supervisor (`reasons` say why)",
    )


class FederatedSearchResponse(BaseModel):
    """A node's answer. The requester logs its ``audit_index`` and ``total`` in its
    fan-out entry, so they are bounded (`MAX_COUNT`): an answer past them is a
    ``bad_answer`` (the node listed unavailable), never a fan-out this node cannot log."""

    search_id: str
    kind: str = "exact"
    audit_index: int = Field(
        ge=0, le=MAX_COUNT, description="this search's entry in the owner node's log"
    )
    owners: list[FederatedOwner]
    total: int = Field(ge=0, le=MAX_COUNT)
    results: list[ReadOut]
    path: list[dict[str, Any]] | None = Field(default=None, description="timeline")
    stakeout: list[dict[str, Any]] | None = Field(default=None, description="stakeout")
    companions: list[dict[str, Any]] | None = Field(default=None, description="convoy")
    pattern: dict[str, Any] | None = Field(default=None, description="locate")


def remote_principal(gate: AccessGate, node: str, requester: RemoteRequester) -> Principal:
    """The gate's principal of a remote user; raise `AccessDenied` for an agency this
    catalog does not hold."""
    agencies = gate.view.current().agencies.values()  # read once per catalog generation
    agency = next((a for a in agencies if a.slug == requester.agency), None)
    if agency is None:
        raise AccessDenied("unknown_agency", f"no agency `{requester.agency[:64]}` here")
    digest = hashlib.sha256(f"{node}\n{requester.user}".encode()).digest()
    return Principal(
        user_id=-(int.from_bytes(digest[:6], "big") + 1),
        username=f"{requester.user}@{node}",
        agency_id=agency.id,
        agency_kind=str(agency.kind),
        agency_home_state=agency.home_state,
        roles=frozenset(requester.roles) & SEARCH_ROLES,
        node=node,
    )


def local_owners(gate: AccessGate) -> tuple[int, ...] | None:
    """This node's own agencies: every agency no registered node answers for (revoked
    nodes' too: their reads are not kept here either); ``None`` where no node is
    registered (then every agency is). Read once per catalog generation (registering or
    revoking a node is a change of the catalog)."""
    snapshot = gate.view.current()
    if "local_owners" not in snapshot.derived:
        with Session(gate.catalog.engine) as session:
            remote = remote_agency_slugs(session)
        agencies = snapshot.agencies.values()
        snapshot.derived["local_owners"] = (
            tuple(sorted(a.id for a in agencies if a.slug not in remote)) if remote else None
        )
    found: tuple[int, ...] | None = snapshot.derived["local_owners"]
    return found


def federated_search(
    gate: AccessGate,
    store: ReadStore,
    body: FederatedSearch,
    *,
    node: str,
    key_id: str,
    node_agencies: tuple[str, ...],
    now: datetime | None = None,
) -> FederatedSearchResponse:
    """Decide, search, log and answer one partner's search of any kind (see the module)."""
    now = now or datetime.now(UTC)
    request = body.search()
    user, asking = admit(gate, body, node=node, key_id=key_id, node_agencies=node_agencies,
                         now=now)
    if body.approval is not None:
        asking = replace(asking, approval=vouched(gate, body, body.approval, node, key_id, now))
    try:
        answer = searches.search(gate, store, None, request, user, now=now, asking=asking)
    except ApprovalRequired as waiting:
        names = {a.id: a.slug for a in gate.view.current().agencies.values()}
        return _awaiting(gate, request, waiting, asking, names)
    return owner_answer(gate, answer)


def vouched(
    gate: AccessGate,
    body: FederatedSearch,
    approval: RemoteApproval,
    node: str,
    key_id: str,
    now: datetime,
) -> dict[str, Any]:
    """What the entry records of an approval ``node`` vouches for, once it is checked to
    be of this pattern of life (its plate and legal basis) and claimed for the node (an
    approval runs one search: `ApprovalReused` the second time)."""
    if body.kind != "locate":
        raise AccessDenied("approval_mismatch", "an approval is of a pattern-of-life search")
    plate = normalize_plate(body.params.plate or "")
    if normalize_plate(approval.plate) != plate or approval.legal_basis != body.legal_basis:
        raise AccessDenied(
            "approval_mismatch", f"approval `{approval.approval_id}` was granted for another "
            "plate or legal basis: it is bound to those it was asked for",
        )
    claim(gate, key_id, f"approval:{approval.approval_id}", now, ApprovalReused(
        "approval_used", f"approval `{approval.approval_id}` of node `{node}` already ran a "
        "search here; an approval is used once",
    ))
    return {
        "approval_id": approval.approval_id,
        "approved_by": f"{approval.approved_by}@{node}",
        "approval_index": approval.decision_audit_index,
        "approval_node": node,
        "approval_decided_at": approval.decided_at.isoformat(),
    }


def admit(
    gate: AccessGate,
    body: FederatedSearch,
    *,
    node: str,
    key_id: str,
    node_agencies: tuple[str, ...],
    now: datetime,
) -> tuple[Principal, Asking]:
    """A partner's request let in: the remote user (of an agency ``node`` is registered
    for), its search UUID claimed for the node (`claim_search_id`), and what the owner's
    entry records of the asking node (`Asking`)."""
    if body.requester.agency not in node_agencies:
        raise AccessDenied(
            "agency_not_registered",
            f"node `{node}` is not registered for agency `{body.requester.agency[:64]}`",
        )
    user = remote_principal(gate, node, body.requester)
    claim_search_id(gate, key_id, body.search_id, now)
    asking = Asking(
        owners=local_owners(gate),
        search_id=str(body.search_id),
        partner=True,
        facts={
            "requesting_node": node,
            "requesting_key_id": key_id,
            "requesting_audit_index": body.requester_audit_index,
            "requester_agency_class_claimed": body.requester.agency_class,
        },
    )
    return user, asking


def owner_answer(gate: AccessGate, answer: SearchResponse) -> FederatedSearchResponse:
    """The answer to a partner: each owner asked, allowed (with its reads' count) or
    denied (with its rule ids), and only what the allowed owners released; never without
    the entry that logged it."""
    if answer.audit_index is None:  # the workflow always logs; never answer without it
        raise AuditUnavailable("the search's entry is missing; no data was returned")
    names = {a.id: a.slug for a in gate.view.current().agencies.values()}
    counts: dict[int, int] = {}
    for read in answer.results:
        counts[read.owner_id] = counts.get(read.owner_id, 0) + 1
    return FederatedSearchResponse(
        search_id=str(answer.search_id),
        kind=answer.kind,
        audit_index=answer.audit_index,
        owners=[
            FederatedOwner(
                agency=names.get(o.owner_id, str(o.owner_id)),
                owner_id=o.owner_id,
                allowed=o.allowed,
                policy_ids=list(o.policy_ids),
                reasons=list(o.reasons),
                returned=counts.get(o.owner_id, 0),
            )
            for o in answer.owners
        ],
        total=answer.total,
        results=answer.results,
        path=answer.path,
        stakeout=answer.stakeout,
        companions=answer.companions,
        pattern=answer.pattern,
    )


def _awaiting(
    gate: AccessGate,
    request: SearchCreate,
    waiting: ApprovalRequired,
    asking: Asking,
    names: dict[int, str],
) -> FederatedSearchResponse:
    """A partner's pattern of life that would wait for a supervisor here: nothing is
    searched; the refusal is logged as a ``search`` entry releasing nothing — every owner
    in ``owners_denied`` (so that each owner's auditor is served it), those the decision
    allowed with ``approval_required`` and listed in ``owners_awaiting_approval`` too, and
    why — and every owner is answered denied."""
    outcomes = list(waiting.decision.outcomes.values())
    query = request.params.model_dump(mode="json", exclude_none=True)
    query["search_id"] = asking.search_id
    query["offense_type"] = request.offense_type
    if request.legal_basis is not None:
        query["legal_basis"] = request.legal_basis.model_dump(mode="json")
    index = gate.record(
        waiting.question,
        waiting.decision,
        "search",
        kind=request.kind,
        query=query,
        owners_allowed=[],
        owners_denied=[
            {
                "agency": names.get(o.owner_id, str(o.owner_id)),
                "policy_ids": [APPROVAL_REQUIRED] if o.allowed else list(o.policy_ids),
            }
            for o in outcomes
        ],
        owners_awaiting_approval=[
            names.get(o.owner_id, str(o.owner_id)) for o in outcomes if o.allowed
        ],
        approval_required=list(waiting.because),
        devices_searched=0,
        returned_by_owner={},
        result_count=0,
        returned=0,
        result_digest=result_digest([]),
        offense_type=request.offense_type,
        **asking.facts,
    )
    return FederatedSearchResponse(
        search_id=asking.search_id or "",
        kind=request.kind,
        audit_index=index,
        owners=[
            FederatedOwner(
                agency=names.get(o.owner_id, str(o.owner_id)),
                owner_id=o.owner_id,
                allowed=False,
                policy_ids=[] if o.allowed else list(o.policy_ids),
                reasons=list(waiting.because) if o.allowed else list(o.reasons),
                code=APPROVAL_REQUIRED if o.allowed else None,
            )
            for o in outcomes
        ],
        total=0,
        results=[],
    )


def partner_request(
    user: Principal,
    agency: Agency,
    body: SearchCreate,
    search_id: uuid.UUID,
    audit_index: int | None = None,
) -> FederatedSearch:
    """The body this node sends a partner for ``user``'s search ``body``, made for
    ``agency`` (the one the search is requested by, as this catalog records it), under
    the search's own UUID (a supervisor's approval given here is added by `fan_out`,
    vouched for). A window deeper than one page of the API is sent as ``window``."""
    params, deep = body.params, None
    if params.limit > MAX_PAGE:
        params, deep = params.model_copy(update={"limit": MAX_PAGE}), params.limit
    return FederatedSearch(
        search_id=search_id,
        kind=body.kind,
        params=params,
        window=deep,
        stakeout=body.stakeout,
        convoy=body.convoy,
        vehicle=body.vehicle,
        requester=RemoteRequester(
            user=user.username,
            agency=agency.slug,
            agency_class=str(agency.kind),
            roles=sorted(user.roles & SEARCH_ROLES),
        ),
        purpose=body.purpose,
        offense_type=body.offense_type,
        case_number=body.case_number,
        reason=body.reason,
        legal_basis=body.legal_basis,
        requester_audit_index=audit_index,
    )


def claim_search_id(gate: AccessGate, key_id: str, search_id: uuid.UUID, now: datetime) -> None:
    """Remember that ``search_id`` is answered for the node of ``key_id``, before the search
    runs; raise `SearchIdReused` when it was already (a replayed search UUID under a fresh
    nonce: the owner's log would hold two searches under one UUID)."""
    claim(gate, key_id, f"search:{search_id}", now, SearchIdReused(
        "search_id_reused", f"search `{search_id}` was already answered for this node"
    ))


def claim(gate: AccessGate, key_id: str, what: str, now: datetime, refusal: AccessDenied) -> None:
    """Remember ``what`` for the node of ``key_id`` for good (``node_nonces``); raise
    ``refusal`` when it was already."""
    try:
        with gate.catalog.engine.begin() as connection:
            connection.execute(
                insert(NodeNonce).values(key_id=key_id, nonce=what, seen_at=SEARCH_ID_KEPT)
            )
    except IntegrityError:
        raise refusal from None


@dataclass(frozen=True, slots=True)
class Partner:
    """A registered, unrevoked node and the agencies it answers for (slug: local id)."""

    name: str
    url: str
    key_id: str
    agencies: dict[str, int]


def partners(gate: AccessGate) -> list[Partner]:
    """The registered nodes not revoked, by name (read once per catalog generation)."""
    snapshot = gate.view.current()
    if "partners" not in snapshot.derived:
        with Session(gate.catalog.engine) as session:
            rows = [
                (n.name, n.url, n.key_id, list(n.agencies))
                for n in nodes(session)
                if n.revoked_at is None
            ]
        ids = {a.slug: a.id for a in snapshot.agencies.values()}
        snapshot.derived["partners"] = tuple(
            Partner(name, url, key_id, {slug: ids[slug] for slug in slugs if slug in ids})
            for name, url, key_id, slugs in rows
        )
    return list(snapshot.derived["partners"])


@dataclass
class _Asked:
    """What one node's answer adds: its owners, its page and its record."""

    partner: Partner
    owners: list[RemoteOwner]
    page: NodePage
    record: dict[str, Any]


def _unavailable(partner: Partner, code: str, record: dict[str, Any]) -> _Asked:
    owners = [
        RemoteOwner(node=partner.name, agency=slug, owner_id=local, status="unavailable", code=code)
        for slug, local in sorted(partner.agencies.items())
    ]
    record["owners_unavailable"] = sorted(partner.agencies)
    return _Asked(partner, owners, NodePage(), record)


def _merge_one(partner: Partner, search_id: str, answer: NodeAnswer | None) -> _Asked:
    """Read one node's answer: only the owners it is registered for, only the reads of
    those it allowed (their ``owner_id`` this catalog's, no image references: those name
    the owner's files), never its candidates or anything else; its total, ranked plates,
    path or pattern only where every owner it allowed is one it is registered for (they
    count all of them)."""
    record: dict[str, Any] = {"node": partner.name, "key_id": partner.key_id}
    if answer is None:
        record |= {"outcome": "unavailable", "code": "timeout", "audit_index": None}
        return _unavailable(partner, "timeout", record)
    record |= {"outcome": answer.outcome, "code": answer.code, "audit_index": None}
    if answer.outcome != "answered" or answer.body is None:
        return _unavailable(partner, answer.code or answer.outcome, record)
    try:
        reply = FederatedSearchResponse.model_validate(answer.body)
    except ValidationError:
        reply = None
    if reply is None or reply.search_id != search_id:
        record |= {"outcome": "unavailable", "code": "bad_answer"}
        return _unavailable(partner, "bad_answer", record)
    record["audit_index"] = reply.audit_index
    decided = {o.agency: o for o in reply.owners}
    owners: list[RemoteOwner] = []
    reads: list[ReadOut] = []
    for slug, local in sorted(partner.agencies.items()):
        owner = decided.get(slug)
        if owner is None:
            owners.append(
                RemoteOwner(
                    node=partner.name,
                    agency=slug,
                    owner_id=local,
                    status="unavailable",
                    code="not_answered",
                    audit_index=reply.audit_index,
                )
            )
            continue
        mine = [
            r.model_copy(
                update={
                    "owner_id": local,
                    "image_plate": "",
                    "image_overview": "",
                    "held_for": None,
                    "candidate_confidence": r.candidate_confidence,
                }
            )
            for r in reply.results
            if owner.allowed and r.owner_id == owner.owner_id
        ]
        reads.extend(mine)
        owners.append(
            RemoteOwner(
                node=partner.name,
                agency=slug,
                owner_id=local,
                status="allowed" if owner.allowed else "denied",
                returned=len(mine),
                policy_ids=[] if owner.allowed else list(owner.policy_ids),
                reasons=[] if owner.allowed else list(owner.reasons),
                code=None if owner.allowed else owner.code,
                audit_index=reply.audit_index,
            )
        )
    registered = {decided[slug].owner_id for slug in partner.agencies if slug in decided}
    whole = all(o.owner_id in registered for o in reply.owners if o.allowed)
    record["owners_allowed"] = [o.agency for o in owners if o.status == "allowed"]
    record["owners_denied"] = [
        {"agency": o.agency, "policy_ids": o.policy_ids} | ({"code": o.code} if o.code else {})
        for o in owners
        if o.status == "denied"
    ]
    record["owners_unavailable"] = [o.agency for o in owners if o.status == "unavailable"]
    record["received"] = len(reads)
    page = NodePage(reads=reads, total=reply.total if whole else len(reads))
    if whole:
        page.path, page.stakeout = reply.path, reply.stakeout
        page.companions, page.pattern = reply.companions, reply.pattern
    return _Asked(partner, owners, page, record)


def search(
    gate: AccessGate,
    store: ReadStore,
    holds: HoldStore,
    body: SearchCreate,
    user: Principal,
    *,
    link: NodeLink,
) -> SearchResponse:
    """A local user's search of any kind: decided, run and logged here over this node's
    own owners only (`local_owners`), then — where registered, unrevoked nodes answer for
    other owners — sent to them (`fan_out`) and merged into one page
    (`plateledger.access.federated_pages`). Without partners, the local search as it was.
    A pattern of life that waits for a supervisor here raises `ApprovalPending` before
    anything is sent; one a partner's owner makes wait gets a pending approval here
    (`approval`), and once run with it, the approval is vouched for to the partners."""
    now = datetime.now(UTC)
    secret = gate.catalog.page_token_key
    continued = (continuation.check(secret, body.page_token, user, body, now)
                 if body.page_token else None)
    page_of = continued.search_id if continued else None
    paged = {"page_of": page_of} if page_of else {}
    here = local_owners(gate)
    found = [p for p in partners(gate) if p.agencies]
    if not found:
        answer = searches.search(gate, store, holds, body, user,
                                 asking=Asking(owners=here, facts=paged))
        return with_page_token(answer, secret, continued, user, body, now)
    wanted = window(body)
    page = {"offset": body.params.offset, "limit": body.params.limit}
    asking = Asking(owners=here,
                    facts=paged | ({"federated_page": page} if wanted is not body else {}))
    answer = searches.search(gate, store, holds, wanted, user, asking=asking)
    granted = granted_approval(gate, body)
    answer = fan_out(gate, body, user, answer, link=link, found=found, sent=wanted,
                     approval=granted)
    if body.kind == "locate" and granted is None:
        return ask_approval_for_partners(gate, body, user, answer)
    return with_page_token(answer, secret, continued, user, body, now)


def with_page_token(answer: SearchResponse, secret: bytes,
                    continued: continuation.Continued | None, user: Principal,
                    body: SearchCreate, now: datetime) -> SearchResponse:
    """``answer`` with the token of its search (`plateledger.access.continuation`): the
    search it is a page of (good until that search's token was), else its own."""
    if continued is not None:
        token = continuation.issue(secret, continued.search_id, user, body, now,
                                   continued.expires)
        return answer.model_copy(update={"page_token": token,
                                         "page_of": continued.search_id})
    if answer.search_id is None:
        return answer
    return answer.model_copy(update={
        "page_token": continuation.issue(secret, answer.search_id, user, body, now)})


def granted_approval(gate: AccessGate, body: SearchCreate) -> RemoteApproval | None:
    """The approval a pattern of life ran with here (the local search has just used it),
    as it is vouched for to the partners."""
    if body.kind != "locate" or body.approval_id is None:
        return None
    with gate.catalog.engine.connect() as conn:
        row = approval_row(conn, body.approval_id)
    if row is None or row.decided_by is None or row.decided_at is None:
        return None
    return RemoteApproval(
        approval_id=row.id,
        approved_by=row.decided_by,
        decided_at=row.decided_at,
        plate=row.plate,
        legal_basis=LegalBasis.model_validate(row.legal_basis),
        decision_audit_index=row.decision_index,
    )


def ask_approval_for_partners(
    gate: AccessGate, body: SearchCreate, user: Principal, answer: SearchResponse
) -> SearchResponse:
    """A pattern of life that partners' owners answered ``approval_required``: a pending
    approval here (a supervisor of the requester's agency decides, as for this node's
    own owners, and, as for them, the one the user already waits on if the search is run
    again), saying whose rules it waits for; ``answer`` otherwise as it is."""
    waiting = [o for o in answer.remote_owners or [] if o.code == APPROVAL_REQUIRED]
    if not waiting or body.legal_basis is None:
        return answer
    now = datetime.now(UTC)
    question = searches.ask(gate, body, user, "search_locate", now,
                            Asking(owners=local_owners(gate)))
    decision = gate.decide(question)
    because = [
        f"`{o.agency}` at node `{o.node}`: {reason}"
        for o in waiting
        for reason in (o.reasons or ["its rules make this search wait for a supervisor"])
    ]
    pending = Approvals(gate.catalog, gate.audit_log).request(
        gate, question, decision, body, body.legal_basis, because, now
    )
    return answer.model_copy(update={"approval": pending})


def fan_out(
    gate: AccessGate,
    body: SearchCreate,
    user: Principal,
    answer: SearchResponse,
    *,
    link: NodeLink,
    found: list[Partner] | None = None,
    sent: SearchCreate | None = None,
    approval: RemoteApproval | None = None,
) -> SearchResponse:
    """Send a local user's search, already decided, run and logged here (``answer``, the
    window ``sent``: its first ``offset + limit`` results), to every registered, unrevoked
    partner node (``found``), in parallel, each signed with this node's key under the
    search's own UUID (``link``: the key and the kept HTTP client); wait the link's
    ``timeout`` seconds at most; log the fan-out (the UUID, each
    node asked, how it ended, the index of the owner's entry, the page returned) and only
    then merge the partners' allowed results with this node's into ``body``'s page and
    list each of their owners as allowed, denied or unavailable.

    With no partner, ``answer`` cut to ``body``'s page. If the fan-out entry cannot be
    written, `AuditUnavailable`: nothing is returned."""
    sent = sent or body
    if found is None:
        found = [p for p in partners(gate) if p.agencies]
    agency = gate.catalog.agency(gate.requested_by(user, body.requested_by))
    if not found or answer.search_id is None or agency is None:
        return answer.model_copy(update=merge_pages(body, answer, []))
    request = partner_request(user, agency, sent, uuid.UUID(answer.search_id), answer.audit_index)
    if approval is not None:
        request = request.model_copy(update={"approval": approval})
    payload = request.model_dump(mode="json", exclude_none=True)
    asked = ask_partners(link, found, SEARCH_PATH, payload, answer.search_id)
    merged = merge_pages(body, answer, [a.page for a in asked])
    linked: dict[str, Any] = {"search_audit_index": answer.audit_index}
    if approval is not None:
        linked["approval_id"] = approval.approval_id
    index = record_fan_out(
        gate,
        FEDERATED_SEARCH,
        user=user,
        agency=agency,
        search_id=answer.search_id,
        kind=body.kind,
        linked=linked,
        asked=asked,
        results=merged["results"],
        window={"offset": body.params.offset, "limit": body.params.limit, "total": merged["total"]},
        part="page",
    )
    return answer.model_copy(
        update=merged
        | {
            "remote_owners": [o for a in asked for o in a.owners],
            "federation_audit_index": index,
        }
    )


def record_fan_out(
    gate: AccessGate,
    entry_type: str,
    *,
    user: Principal,
    agency: Agency,
    search_id: str,
    kind: str,
    linked: dict[str, Any],
    asked: list[_Asked],
    results: list[ReadOut],
    window: dict[str, Any],
    part: str,
) -> int:
    """Count each partner owner's reads among ``results`` (what the user is shown), then
    log the fan-out (``entry_type``: the UUID, each node asked, how it ended, its entry
    index, and ``part``: ``window`` with every owner's reads shown and their digest);
    its index. If the entry cannot be written, `AuditUnavailable`: nothing is returned."""
    shown: dict[int, int] = {}
    for read in results:
        shown[read.owner_id] = shown.get(read.owner_id, 0) + 1
    for a in asked:
        a.owners = [
            o.model_copy(update={"returned": shown.get(o.owner_id or 0, 0)})
            if o.status == "allowed"
            else o
            for o in a.owners
        ]
        a.record["returned"] = sum(o.returned for o in a.owners)
    names = {a.id: a.slug for a in gate.view.current().agencies.values()}
    entry = new_entry(
        entry_type,
        user=user.username,
        agency=agency.slug,
        search_id=search_id,
        kind=kind,
        **linked,
        nodes=[a.record for a in asked],
        result_count=sum(a.record["returned"] for a in asked),
        **{
            part: window
            | {
                "returned_by_owner": {names.get(o, str(o)): n for o, n in sorted(shown.items())},
                "result_digest": result_digest(r.read_id for r in results),
            }
        },
    )
    try:
        return gate.audit_log.append(entry)
    except Exception as exc:
        log.exception("audit append failed; the partners' answers are withheld")
        raise AuditUnavailable(
            "the audit log could not record this fan-out to partner nodes; no data was returned"
        ) from exc


def ask_partners(
    link: NodeLink, found: list[Partner], path: str, payload: dict[str, Any], search_id: str
) -> list[_Asked]:
    """Send ``payload`` to ``path`` of every node of ``found`` in parallel, signed with this
    node's key (``link``); wait ``link.timeout`` seconds at most (a node still running is
    unavailable, ``timeout``: never asked twice); read each answer (`_merge_one`)."""
    client, pool = link.client(), link.pool()
    futures: dict[str, Future[NodeAnswer]] = {
        p.name: pool.submit(client.post, p.url, path, payload) for p in found
    }
    wait(futures.values(), timeout=link.timeout)
    for future in futures.values():
        future.cancel()  # one not sent by now never is: a node is asked once
    return [_merge_one(p, search_id, _result(futures[p.name])) for p in found]


def _result(future: Future[NodeAnswer]) -> NodeAnswer | None:
    """A finished request's answer; ``None`` for one still running (a timeout)."""
    if not future.done() or future.cancelled():
        return None
    try:
        return future.result()
    except Exception:  # an error in the client itself: no answer to read
        log.exception("a partner request failed")
        return NodeAnswer("unavailable", code="unreachable")
