"""A partner node's search, answered by this (the owner's) node through the same gate.

A request arrives signed by a registered node (`plateledger.federation.verify`); this
module maps it to the gate's question and runs it as a local search is run
(`AccessGate.run`: decision per owner, search within the decision, audit entry, answer):

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
  denied (with its rule ids), and only the reads of the owners that allowed it.

Only exact plate searches are answered for now; a search UUID already answered for the
same node is refused (`SearchIdReused`, 409).

The other end: `partner_request` is the body a requesting node sends for one of its
users' searches, and `fan_out` sends a local user's exact search, once decided, run and
logged here, to every registered partner node in parallel, logs the fan-out (a
``federated_search`` entry: the UUID, each node asked, how it ended, the owner's entry
index) and only then merges the partners' allowed reads and lists their owners as
allowed, denied or unavailable.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plateledger.access.errors import AccessDenied, AuditUnavailable
from plateledger.access.gate import AccessGate, AccessQuestion, lookback_days
from plateledger.access.legal_basis import LegalBasis
from plateledger.access.searches import RemoteOwner, SearchCreate, SearchParams, SearchResponse
from plateledger.audit.entry import new_entry
from plateledger.catalog import Agency, Principal
from plateledger.catalog.models import NodeNonce
from plateledger.catalog.nodes import nodes, remote_agency_slugs
from plateledger.federation import NodeAnswer, NodeClient, NodeKey
from plateledger.policy.offense import OFFENSE_TYPES_URL, offense
from plateledger.search import ReadOut, search_exact
from plateledger.store import ReadStore

__all__ = [
    "FEDERATED_SEARCH",
    "SEARCH_PATH",
    "SEARCH_ROLES",
    "FederatedOwner",
    "FederatedSearch",
    "FederatedSearchResponse",
    "RemoteRequester",
    "SearchIdReused",
    "fan_out",
    "federated_search",
    "partner_request",
    "remote_principal",
]

SEARCH_ROLES = frozenset({"investigator", "supervisor", "dispatcher"})
"""The roles a node may vouch for: those the role pack lets search at all."""

SEARCH_PATH = "/v1/federation/searches"
FEDERATED_SEARCH = "federated_search"
"""The requesting node's entry of a search's fan-out to its partner nodes."""

SEARCH_ID_KEPT = datetime(9999, 12, 31, tzinfo=UTC)
"""The ``seen_at`` of a search UUID a node has answered (``node_nonces``, nonce
``search:<uuid>``): never purged, so that the UUID is refused for good."""

log = logging.getLogger(__name__)


class SearchIdReused(AccessDenied):
    """A search UUID this node already answered for the same node (HTTP 409)."""


class RemoteRequester(BaseModel):
    """Who asks, as the requesting node vouches: its user, their agency (a slug this node
    registered that node for), and their roles. The agency's class named here is
    recorded, never used: this node's catalog decides it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str = Field(min_length=1, max_length=64)
    agency: str = Field(min_length=1, max_length=64)
    agency_class: str | None = Field(default=None, max_length=16)
    roles: list[str] = Field(default_factory=list, max_length=8)


class FederatedSearch(BaseModel):
    """The body of a signed ``POST /v1/federation/searches``."""

    model_config = ConfigDict(extra="forbid")

    search_id: uuid.UUID = Field(description="the requester's search UUID: both logs record it")
    kind: Literal["exact"] = "exact"
    params: SearchParams
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
        description="the index of the search's entry in the requesting "
        "node's log: the owner's entry records it (`requesting_audit_index`)",
    )

    @field_validator("offense_type")
    @classmethod
    def _known_offense(cls, value: str) -> str:
        return offense(value).code


class FederatedOwner(BaseModel):
    agency: str
    owner_id: int = Field(
        description="the agency's id in the owner node's catalog, as in the reads' `owner_id`"
    )
    allowed: bool
    policy_ids: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    returned: int = Field(default=0, description="reads of this owner in the answer")


class FederatedSearchResponse(BaseModel):
    search_id: str
    audit_index: int = Field(description="this search's entry in the owner node's log")
    owners: list[FederatedOwner]
    total: int
    results: list[ReadOut]


def remote_principal(gate: AccessGate, node: str, requester: RemoteRequester) -> Principal:
    """The gate's principal of a remote user; raise `AccessDenied` for an agency this
    catalog does not hold."""
    agency = gate.catalog.agency_by_slug(requester.agency)
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
    )


def local_owners(gate: AccessGate) -> list[int]:
    """This node's own agencies: every agency no registered node answers for."""
    with Session(gate.catalog.engine) as session:
        remote = remote_agency_slugs(session)
    return sorted(a.id for a in gate.catalog.agencies() if a.slug not in remote)


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
    """Decide, search, log and answer one partner's exact search (see the module)."""
    now = now or datetime.now(UTC)
    if body.requester.agency not in node_agencies:
        raise AccessDenied(
            "agency_not_registered",
            f"node `{node}` is not registered for agency `{body.requester.agency[:64]}`",
        )
    plate = body.params.plate
    if not plate:
        raise AccessDenied("plate_required", "an exact search needs `params.plate`")
    user = remote_principal(gate, node, body.requester)
    claim_search_id(gate, key_id, body.search_id, now)
    question = AccessQuestion(
        user=user,
        requested_by_id=user.agency_id,
        action="search_exact",
        purpose=body.purpose,
        case_number=body.case_number or None,
        reason=body.reason,
        lookback_days=lookback_days(body.params.since, now),
        owners=local_owners(gate),
        now=now,
    )
    query = body.params.model_dump(mode="json", exclude_none=True)
    query["search_id"] = str(body.search_id)
    query["offense_type"] = body.offense_type
    if body.legal_basis is not None:
        query["legal_basis"] = body.legal_basis.model_dump(mode="json")
    filters = body.params.filters()
    decision, page, index = gate.run(
        question,
        kind="exact",
        query=query,
        execute=lambda scope: search_exact(store, plate, scope, filters),
        facts={
            "offense_type": body.offense_type,
            "requesting_node": node,
            "requesting_key_id": key_id,
            "requesting_audit_index": body.requester_audit_index,
            "requester_agency_class_claimed": body.requester.agency_class,
        },
    )
    names = {a.id: a.slug for a in gate.catalog.agencies()}
    counts: dict[int, int] = {}
    for read in page.results:
        counts[read.owner_id] = counts.get(read.owner_id, 0) + 1
    owners = [
        FederatedOwner(
            agency=names.get(o.owner_id, str(o.owner_id)),
            owner_id=o.owner_id,
            allowed=o.allowed,
            policy_ids=list(o.policy_ids),
            reasons=list(o.reasons),
            returned=counts.get(o.owner_id, 0),
        )
        for o in decision.outcomes.values()
    ]
    return FederatedSearchResponse(
        search_id=str(body.search_id),
        audit_index=index,
        owners=owners,
        total=page.total,
        results=page.results,
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
    the search's own UUID. Raises `AccessDenied` for a kind partners do not answer yet."""
    if body.kind != "exact":
        raise AccessDenied(
            "not_federated", f"a {body.kind} search is not sent to partner nodes yet"
        )
    return FederatedSearch(
        search_id=search_id,
        kind="exact",
        params=body.params,
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
    try:
        with gate.catalog.engine.begin() as connection:
            connection.execute(
                insert(NodeNonce).values(
                    key_id=key_id, nonce=f"search:{search_id}", seen_at=SEARCH_ID_KEPT
                )
            )
    except IntegrityError:
        raise SearchIdReused(
            "search_id_reused", f"search `{search_id}` was already answered for this node"
        ) from None


@dataclass(frozen=True, slots=True)
class Partner:
    """A registered, unrevoked node and the agencies it answers for (slug: local id)."""

    name: str
    url: str
    key_id: str
    agencies: dict[str, int]


def partners(gate: AccessGate) -> list[Partner]:
    """The registered nodes not revoked, by name."""
    with Session(gate.catalog.engine) as session:
        rows = [
            (n.name, n.url, n.key_id, list(n.agencies))
            for n in nodes(session)
            if n.revoked_at is None
        ]
    if not rows:
        return []
    ids = {a.slug: a.id for a in gate.catalog.agencies()}
    return [
        Partner(name, url, key_id, {slug: ids[slug] for slug in slugs if slug in ids})
        for name, url, key_id, slugs in rows
    ]


@dataclass
class _Asked:
    """What one node's answer adds: its owners, its reads, its total and its record."""

    owners: list[RemoteOwner]
    reads: list[ReadOut]
    total: int
    record: dict[str, Any]


def _unavailable(partner: Partner, code: str, record: dict[str, Any]) -> _Asked:
    owners = [
        RemoteOwner(node=partner.name, agency=slug, owner_id=local, status="unavailable", code=code)
        for slug, local in sorted(partner.agencies.items())
    ]
    record["owners_unavailable"] = sorted(partner.agencies)
    return _Asked(owners, [], 0, record)


def _merge_one(partner: Partner, search_id: str, answer: NodeAnswer | None) -> _Asked:
    """Read one node's answer: only the owners it is registered for, only the reads of
    those it allowed (their ``owner_id`` this catalog's, no image references: those name
    the owner's files), never its candidates or anything else."""
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
                audit_index=reply.audit_index,
            )
        )
    record["owners_allowed"] = [o.agency for o in owners if o.status == "allowed"]
    record["owners_denied"] = [
        {"agency": o.agency, "policy_ids": o.policy_ids} for o in owners if o.status == "denied"
    ]
    record["owners_unavailable"] = [o.agency for o in owners if o.status == "unavailable"]
    record["returned"] = len(reads)
    whole = len(reads) == len(reply.results)
    total = reply.total if whole else len(reads)
    return _Asked(owners, reads, total, record)


def fan_out(
    gate: AccessGate,
    body: SearchCreate,
    user: Principal,
    answer: SearchResponse,
    *,
    node_key: Callable[[], NodeKey],
    timeout: float,
) -> SearchResponse:
    """Send a local user's exact search, already decided, run and logged here
    (``answer``), to every registered, unrevoked partner node, in parallel, each signed
    with this node's key under the search's own UUID; wait ``timeout`` seconds at most;
    log the fan-out (the UUID, each node asked, how it ended and the index of the owner's
    entry) and only then merge the partners' allowed reads into the page and list each
    of their owners as allowed, denied or unavailable.

    With no partner registered, or for another kind, ``answer`` is returned unchanged.
    If the fan-out entry cannot be written, `AuditUnavailable`: nothing is returned."""
    if body.kind != "exact" or answer.search_id is None:
        return answer
    found = [p for p in partners(gate) if p.agencies]
    if not found:
        return answer
    agency = gate.catalog.agency(gate.requested_by(user, body.requested_by))
    if agency is None:
        return answer
    request = partner_request(user, agency, body, uuid.UUID(answer.search_id), answer.audit_index)
    payload = request.model_dump(mode="json")
    key = node_key()
    results: dict[str, NodeAnswer | None] = {}
    pool = ThreadPoolExecutor(max_workers=len(found), thread_name_prefix="federation")
    with httpx.Client(timeout=timeout) as http:
        client = NodeClient(key, http)
        futures: dict[str, Future[NodeAnswer]] = {
            p.name: pool.submit(client.post, p.url, SEARCH_PATH, payload) for p in found
        }
        wait(futures.values(), timeout=timeout)
        pool.shutdown(wait=False, cancel_futures=True)
        for name, future in futures.items():
            results[name] = _result(future)
    asked = [_merge_one(p, answer.search_id, results[p.name]) for p in found]
    entry = new_entry(
        FEDERATED_SEARCH,
        user=user.username,
        agency=agency.slug,
        search_id=answer.search_id,
        kind=body.kind,
        search_audit_index=answer.audit_index,
        nodes=[a.record for a in asked],
        result_count=sum(len(a.reads) for a in asked),
    )
    try:
        index = gate.audit_log.append(entry)
    except Exception as exc:
        log.exception("audit append failed; the partners' answers are withheld")
        raise AuditUnavailable(
            "the audit log could not record this search's fan-out; no data was returned"
        ) from exc
    reads = list(answer.results) + [r for a in asked for r in a.reads]
    reads.sort(key=lambda r: r.ts, reverse=True)
    return answer.model_copy(
        update={
            "results": reads,
            "total": answer.total + sum(a.total for a in asked),
            "remote_owners": [o for a in asked for o in a.owners],
            "federation_audit_index": index,
        }
    )


def _result(future: Future[NodeAnswer]) -> NodeAnswer | None:
    """A finished request's answer; ``None`` for one still running (a timeout)."""
    if not future.done() or future.cancelled():
        return None
    try:
        return future.result()
    except Exception:  # an error in the client itself: no answer to read
        log.exception("a partner request failed")
        return NodeAnswer("unavailable", code="unreachable")
