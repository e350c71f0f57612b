"""Cases: an agency's searches grouped under a case number, and the case report.

- ``GET /v1/cases``: the cases of the caller's agency (numbers, titles, status);
- ``POST /v1/cases``: open one (logged in the same transaction);
- ``PATCH /v1/cases/{number}``: close or reopen it (logged in the same transaction);
- ``GET /v1/cases/{number}``: the case and its searches from the audit log (logged first);
- ``GET /v1/cases/{number}/report?format=html|pdf``: the case report with each search's
  inclusion proof against the signed checkpoint (logged first).

Investigators and supervisors of the case's agency only (the policy set's ``export``
role rule); another agency's case answers 404, as if it did not exist. The workflow is
`plateledger.access.cases`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from plateledger.access.case_report import report_html, report_pdf
from plateledger.access.cases import CaseConflict, CaseDetail, CaseOut, CaseReport, Cases
from plateledger.api.deps import AuditLogDep, CatalogDep, CurrentUser, PolicyDep
from plateledger.api.documents import DOCUMENT_HEADERS
from plateledger.api.errors import ApiError

__all__ = ["router"]

router = APIRouter(prefix="/v1/cases", tags=["search"])

Number = Annotated[str, Path(min_length=1, max_length=64, description="the case number")]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=64, description="the case number; it has "
                        "the agency's case-number format, if it set one")
    title: str = Field(default="", max_length=200)


class CaseChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "closed"]


@contextmanager
def case_errors() -> Iterator[None]:
    """A case that exists already, or a change that does not apply: 409."""
    try:
        yield
    except CaseConflict as exc:
        raise ApiError(409, exc.code, exc.message) from None


def _cases(catalog: CatalogDep, log: AuditLogDep, policy: PolicyDep) -> Cases:
    return Cases(catalog, log, policy)


@router.get("", response_model=list[CaseOut], summary="Your agency's cases")
async def list_cases(
    user: CurrentUser, catalog: CatalogDep, log: AuditLogDep, policy: PolicyDep,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
) -> list[CaseOut]:
    return await asyncio.to_thread(_cases(catalog, log, policy).listing, user, status)


@router.post("", response_model=CaseOut, status_code=201,
             summary="Open a case (logged with it)")
async def open_case(body: CaseCreate, user: CurrentUser, catalog: CatalogDep,
                    log: AuditLogDep, policy: PolicyDep) -> CaseOut:
    with case_errors():
        return await asyncio.to_thread(
            _cases(catalog, log, policy).open, user, body.number, body.title)


@router.patch("/{number}", response_model=CaseOut,
              summary="Close or reopen a case (logged with it)")
async def change_case(number: Number, body: CaseChange, user: CurrentUser,
                      catalog: CatalogDep, log: AuditLogDep, policy: PolicyDep) -> CaseOut:
    with case_errors():
        return await asyncio.to_thread(
            _cases(catalog, log, policy).set_status, user, number, body.status)


@router.get("/{number}", response_model=CaseDetail,
            summary="A case and its searches, from the audit log (the reading is logged)")
async def show_case(number: Number, user: CurrentUser, catalog: CatalogDep,
                    log: AuditLogDep, policy: PolicyDep) -> CaseDetail:
    return await asyncio.to_thread(_cases(catalog, log, policy).detail, user, number)


@router.get(
    "/{number}/report",
    summary="The case report: each search, its legal basis, counts and digest, and its "
            "inclusion proof against the signed checkpoint (the report is logged)",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "application/pdf": {},
                                 "application/json": {}},
                     "description": "the report as HTML, PDF or JSON (`CaseReport`)"}},
)
async def case_report(
    number: Number, user: CurrentUser, catalog: CatalogDep, log: AuditLogDep,
    policy: PolicyDep, format: Literal["html", "pdf", "json"] = "html",
) -> Response:
    cases = _cases(catalog, log, policy)
    report: CaseReport = await asyncio.to_thread(cases.report, user, number, format)
    headers = {"Cache-Control": "no-store", "X-Audit-Index": str(report.report_index)}
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", report.case.number)
    if format == "pdf":
        pdf = await asyncio.to_thread(report_pdf, report)
        return Response(pdf, media_type="application/pdf", headers={
            **headers, "Content-Disposition": f'attachment; filename="case-{safe}.pdf"'})
    if format == "json":
        return Response(report.model_dump_json(), media_type="application/json",
                        headers=headers)
    return HTMLResponse(report_html(report), headers={**DOCUMENT_HEADERS, **headers})
