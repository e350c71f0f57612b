"""Supervisor approvals of pattern-of-life searches, and an agency's search rules.

- ``GET /v1/approvals``: a supervisor's agency's approvals (pending ones by default); any
  other user who may run the search sees their own. Logged (``approval_read``) first.
- ``GET /v1/approvals/{approval_id}``: one of them, the same way.
- ``POST /v1/approvals/{approval_id}/approve`` and ``/refuse`` (with a note): a supervisor
  of the requester's agency, never the requester; the decision and its audit entry commit
  together. Another agency's approval answers 404, as if it did not exist.
- ``GET`` and ``PUT /v1/admin/search-rules``: the admin's agency's case-number format and
  whether its pattern-of-life searches wait for a supervisor; a change is logged with it.

The workflow is `plateledger.access.approvals`; who is a supervisor is decided by the
policy set there.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from plateledger.access.approvals import ApprovalOut, Approvals, SearchRulesOut
from plateledger.api.deps import AdminUser, AuditLogDep, CatalogDep, CurrentUser, PolicyDep
from plateledger.api.routes.searches import approval_errors

__all__ = ["router"]

router = APIRouter()

ApprovalId = Annotated[str, Path(min_length=1, max_length=36, description="the approval's id")]
Status = Annotated[
    str | None,
    Query(pattern="^(pending|approved|refused|used|expired|all)$",
          description="which approvals: `pending` (default) … or `all`"),
]


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000,
                      description="why: recorded in the decision's audit entry")


def _book(catalog: CatalogDep, log: AuditLogDep, policy: PolicyDep) -> Approvals:
    return Approvals(catalog, log, policy)


@router.get("/v1/approvals", response_model=list[ApprovalOut], tags=["search"],
            summary="Approvals of pattern-of-life searches: a supervisor's agency's, or "
                    "your own")
async def list_approvals(user: CurrentUser, catalog: CatalogDep, log: AuditLogDep,
                         policy: PolicyDep, status: Status = "pending") -> list[ApprovalOut]:
    book = _book(catalog, log, policy)
    wanted = None if status == "all" else status
    with approval_errors():
        return await asyncio.to_thread(book.listing, user, wanted)


@router.get("/v1/approvals/{approval_id}", response_model=ApprovalOut, tags=["search"],
            summary="One approval: its status and what it waits for")
async def show_approval(approval_id: ApprovalId, user: CurrentUser, catalog: CatalogDep,
                        log: AuditLogDep, policy: PolicyDep) -> ApprovalOut:
    book = _book(catalog, log, policy)
    with approval_errors():
        return await asyncio.to_thread(book.one, user, approval_id)


@router.post("/v1/approvals/{approval_id}/approve", response_model=ApprovalOut,
             tags=["search"], summary="Approve a pending pattern-of-life search (supervisor)")
async def approve(approval_id: ApprovalId, body: DecisionBody, user: CurrentUser,
                  catalog: CatalogDep, log: AuditLogDep, policy: PolicyDep) -> ApprovalOut:
    book = _book(catalog, log, policy)
    with approval_errors():
        return await asyncio.to_thread(
            lambda: book.decide(user, approval_id, approve=True, note=body.note))


@router.post("/v1/approvals/{approval_id}/refuse", response_model=ApprovalOut,
             tags=["search"], summary="Refuse a pending pattern-of-life search (supervisor)")
async def refuse(approval_id: ApprovalId, body: DecisionBody, user: CurrentUser,
                 catalog: CatalogDep, log: AuditLogDep, policy: PolicyDep) -> ApprovalOut:
    book = _book(catalog, log, policy)
    with approval_errors():
        return await asyncio.to_thread(
            lambda: book.decide(user, approval_id, approve=False, note=body.note))


class SearchRulesBody(BaseModel):
    """The agency's rules for its users' searches (both replaced)."""

    model_config = ConfigDict(extra="forbid")

    case_number_pattern: str | None = Field(
        default=None, max_length=200,
        description="regular expression a case number must match in full, e.g. "
        "`^\\d{2}-\\d{4,6}$`; null: any")
    locate_approval_required: bool = Field(
        default=False, description="every pattern-of-life search of the agency's data, or "
        "by its users, waits for a supervisor")


def _rules_out(book: Approvals, agency_id: int) -> SearchRulesOut:
    rules = book.rules(agency_id)
    return SearchRulesOut(case_number_pattern=rules.case_number_pattern,
                          locate_approval_required=rules.locate_approval_required,
                          updated_at=rules.updated_at)


@router.get("/v1/admin/search-rules", response_model=SearchRulesOut, tags=["admin"],
            summary="Your agency's search rules: case-number format, approvals")
def get_search_rules(admin: AdminUser, catalog: CatalogDep, log: AuditLogDep,
                     policy: PolicyDep) -> SearchRulesOut:
    return _rules_out(_book(catalog, log, policy), admin.agency_id)


@router.put("/v1/admin/search-rules", response_model=SearchRulesOut, tags=["admin"],
            summary="Set your agency's search rules (in force at once; logged)")
def put_search_rules(body: SearchRulesBody, admin: AdminUser, catalog: CatalogDep,
                     log: AuditLogDep, policy: PolicyDep) -> SearchRulesOut:
    book = _book(catalog, log, policy)
    book.set_rules(admin, case_number_pattern=body.case_number_pattern,
                   locate_approval_required=body.locate_approval_required)
    return _rules_out(book, admin.agency_id)
