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

Only exact plate searches are answered for now. `partner_request` is the other end: the
body a requesting node sends for one of its users' searches.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from plateledger.access.errors import AccessDenied
from plateledger.access.gate import AccessGate, AccessQuestion, lookback_days
from plateledger.access.legal_basis import LegalBasis
from plateledger.access.searches import SearchCreate, SearchParams
from plateledger.catalog import Agency, Principal
from plateledger.catalog.nodes import remote_agency_slugs
from plateledger.policy.offense import OFFENSE_TYPES_URL, offense
from plateledger.search import ReadOut, search_exact
from plateledger.store import ReadStore

__all__ = [
    "SEARCH_ROLES",
    "FederatedOwner",
    "FederatedSearch",
    "FederatedSearchResponse",
    "RemoteRequester",
    "federated_search",
    "partner_request",
    "remote_principal",
]

SEARCH_ROLES = frozenset({"investigator", "supervisor", "dispatcher"})
"""The roles a node may vouch for: those the role pack lets search at all."""


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

    @field_validator("offense_type")
    @classmethod
    def _known_offense(cls, value: str) -> str:
        return offense(value).code


class FederatedOwner(BaseModel):
    agency: str
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
    user: Principal, agency: Agency, body: SearchCreate, search_id: uuid.UUID
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
    )
