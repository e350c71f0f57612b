"""Retention: run a purge now, show the clocks, place and release legal holds.

Needs the server's `RetentionScheduler` (`RetentionDep`, which carries the store, the audit
log, the hold store and the policy source). A purge may be asked for by administrators
only; holds are listed, placed and released by supervisors and administrators (the
approver is the caller) for their own agency's reads only — a hold names a case, a reason
and the plates one agency keeps, which no other agency's user may read or change, so
another agency's hold answers as an absent one does. A hold's case agency (whose case it
is, the only agency whose searches for its case number reach its copies) is the caller's
own unless the hold names another catalog agency (a partner that asked for the reads to
be kept for its case); an agency not in the catalog is refused (422 ``unknown_agency``).
Placing or releasing a hold is one transaction with its ``legal_hold`` audit entry: no
entry, no change (503).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from plateledger.access.errors import AuditUnavailable
from plateledger.api.deps import CatalogDep, Principal, RetentionDep, require_action
from plateledger.api.errors import ApiError
from plateledger.audit.changes import ChangeNotLogged, who
from plateledger.catalog import Catalog
from plateledger.policy import Action
from plateledger.retention import (
    DeletionReceipt,
    HoldError,
    LegalHold,
    PurgeRunning,
    ReadSelection,
)

router = APIRouter(prefix="/v1/retention", tags=["retention"])

Admin = Annotated[Principal, Depends(require_action(Action.MANAGE_AGENCY))]
"""Who may run a purge: the role pack's `role-manage`."""
Supervisor = Annotated[Principal, Depends(require_action(Action.MANAGE_HOLDS))]
"""Who may see the clocks and place or release holds: the role pack's `role-manage-holds`."""


Retention = RetentionDep


class HoldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_number: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)
    expires_at: datetime
    plates: list[str] = Field(default_factory=list, max_length=1000)
    since: datetime | None = None
    until: datetime | None = None
    read_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000)
    owner_agency: int | None = Field(
        default=None, description="the caller's agency (the default): no other agency's"
    )
    case_agency: Annotated[StrictInt, Field(ge=1, le=2**31 - 1)] | Annotated[
        str, Field(max_length=64)] | None = Field(
        default=None, description="whose case it is, by id or slug: the caller's agency "
        "(the default) or a partner that asked for the reads to be kept for its case; only "
        "that agency's searches for the case number reach the held copies"
    )


class HoldRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


@router.post("/run", response_model=DeletionReceipt, summary="Run a purge now")
async def run_purge(retention: Retention, user: Admin) -> DeletionReceipt:
    try:
        return await asyncio.to_thread(retention.run_once)
    except PurgeRunning as exc:
        raise ApiError(409, "purge_running", str(exc)) from None


@router.get("/policies", summary="Retention clocks per owner agency")
def get_policies(retention: Retention, user: Supervisor) -> dict[str, Any]:
    policies = retention.policies()
    return {"policies": {str(o): p.as_json() for o, p in sorted(policies.items())}}


@router.get("/holds", summary="Legal holds of the caller's agency")
def list_holds(retention: Retention, user: Supervisor) -> dict[str, Any]:
    owner = int(user.agency_id)  # an agency's admin too: holds are never platform-wide here
    now = datetime.now(UTC)
    return {
        "holds": [
            {**h.as_json(), "active": h.active(now)}
            for h in retention.holds.list(owner_agency=owner)
        ]
    }


def _case_agency(catalog: Catalog, named: int | str | None, owner: int) -> int:
    """The id of the hold's case agency: ``named`` (an id or a slug) if given, else
    ``owner``; 422 ``unknown_agency`` for an agency not in the catalog."""
    if named is None:
        return owner
    found = catalog.agency(named) if isinstance(named, int) else catalog.agency_by_slug(named)
    if found is None:
        raise ApiError(422, "unknown_agency",
                       f"no agency `{named}` in the catalog to be the hold's case agency")
    return int(found.id)


@router.post("/holds", status_code=201, summary="Place a legal hold")
def place_hold(
    body: HoldCreate, retention: Retention, user: Supervisor, catalog: CatalogDep,
) -> dict[str, Any]:
    owner = int(user.agency_id)
    if body.owner_agency is not None and body.owner_agency != owner:
        raise ApiError(403, "forbidden",
                       "a hold may only keep your own agency's reads: another agency's "
                       "reads are held by that agency's supervisors or administrators")
    case_agency = _case_agency(catalog, body.case_agency, owner)
    try:
        hold = LegalHold(
            case_number=body.case_number,
            case_agency=case_agency,
            reason=body.reason,
            approver=str(user.user_id),
            owner_agency=owner,
            selection=ReadSelection(
                plates=tuple(body.plates),
                since=body.since,
                until=body.until,
                read_ids=tuple(body.read_ids),
            ),
            expires_at=body.expires_at,
        )
        placed = retention.holds.place(hold, placed_by=str(user.user_id), now=datetime.now(UTC),
                                       changed_by=who(user.username, user.agency_id))
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    except HoldError as exc:
        raise ApiError(422, "invalid_hold", str(exc)) from None
    return placed.as_json()


@router.post("/holds/{hold_id}/release", summary="Release a legal hold")
def release_hold(
    hold_id: str, body: HoldRelease, retention: Retention, user: Supervisor
) -> dict[str, Any]:
    try:
        hold = retention.holds.get(hold_id)
        if hold.owner_agency != int(user.agency_id):
            # as if absent: whether another agency holds reads under this id is not ours
            raise HoldError(f"no hold `{hold_id}`")
        released = retention.holds.release(
            hold_id, released_by=str(user.user_id), reason=body.reason, now=datetime.now(UTC),
            changed_by=who(user.username, user.agency_id),
        )
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    except HoldError as exc:
        status = 404 if str(exc).startswith("no hold") else 409
        raise ApiError(status, "hold_not_released", str(exc)) from None
    return released.as_json()
