"""Statutory reports on demand: each generated from the public facts of the audit log,
as JSON, CSV, printable HTML or PDF; no login (they are public documents). The schedule that
writes them to the reports folder and logs each one runs in `plateledger serve` (and
`plateledger reports schedule`). A report counts days in the agency's time zone."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from plateledger.api.deps import AuditLogDep, CatalogDep, StoreDep
from plateledger.api.documents import DOCUMENT_HEADERS
from plateledger.api.errors import ApiError
from plateledger.api.routes.transparency import answer_cache, freshness, public_facts
from plateledger.catalog.agencies import agency_timezone
from plateledger.transparency.render import report_csv, report_html, report_pdf
from plateledger.transparency.reports import REPORTS, Period, Report, reports_for
from plateledger.transparency.schedule import last_period, local_day
from plateledger.transparency.service import build_report

__all__ = ["router"]

EARLIEST_REPORT = date(1900, 1, 1)
"""The first day a report may cover: the read store holds no earlier time."""

router = APIRouter(prefix="/v1/reports", tags=["reports"])

Code = Annotated[str, Path(max_length=32)]


@router.get("", summary="The statutory reports, each with its statute and cadence")
def list_reports(catalog: CatalogDep) -> dict[str, Any]:
    return {
        "reports": [
            {"code": k.code, "title": k.title, "statute": k.statute, "cadence": k.cadence}
            for k in REPORTS.values()
        ],
        "agencies": {
            a.slug: list(reports_for(a.law_packs or (a.home_state,))) for a in catalog.agencies()
        },
    }


@router.get("/{code}", summary="One statutory report of an agency over a period")
async def get_report(
    request: Request,
    code: Code,
    catalog: CatalogDep,
    log: AuditLogDep,
    store: StoreDep,
    agency: Annotated[str, Query(min_length=1, max_length=64)],
    start: date | None = None,
    end: date | None = None,
    format: Annotated[str, Query(pattern="^(json|csv|html|pdf)$")] = "json",
) -> Any:
    kind = REPORTS.get(code)
    if kind is None:
        raise ApiError(
            404, "unknown_report", f"no report `{code}`: reports are {', '.join(REPORTS)}"
        )
    found = catalog.agency_by_slug(agency)
    if found is None:
        raise ApiError(404, "unknown_agency", f"no agency `{agency}`")
    now = datetime.now(UTC)
    if (start is None) != (end is None):
        raise ApiError(422, "period_incomplete", "give both `start` and `end`, or neither")
    if start is not None and end is not None:
        if end < start:
            raise ApiError(422, "period_reversed", "`end` is before `start`")
        if start < EARLIEST_REPORT or end > now.date() + timedelta(days=366):
            raise ApiError(422, "period_out_of_range", f"a report covers days from "
                           f"{EARLIEST_REPORT} to a year from today")
        period = Period(start, end)
    else:
        period = last_period(kind.cadence, local_day(now, agency_timezone(found)))
    # The same report of the same period, log and catalog, on the same UTC day (its cells
    # of case numbers and offenses publish the UTC days ended): the answer kept, if any.
    key = ("report", code, found.slug, period.start, period.end, now.astimezone(UTC).date(),
           *freshness(log, catalog))
    answers = answer_cache(request)
    report: Report | None = answers.get(key)
    if report is None:
        facts, size = public_facts(request, log)
        report = await asyncio.to_thread(
            build_report, catalog, store, found, code, period, facts, size, now=now
        )
        answers.put(key, report)
    if format == "csv":
        return PlainTextResponse(report_csv(report), media_type="text/csv; charset=utf-8")
    if format == "html":
        return HTMLResponse(report_html(report), headers=DOCUMENT_HEADERS)
    if format == "pdf":
        pdf: bytes | None = answers.get((*key, "pdf"))
        if pdf is None:
            pdf = answers.put((*key, "pdf"), await asyncio.to_thread(report_pdf, report))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f"attachment; filename={found.slug}-{code}.pdf"},
        )
    return report.as_json()
