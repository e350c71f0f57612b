"""The server-rendered pages of the public portal and the reports: each agency's page
with its figures and charts drawn as SVG on the server (it reads without JavaScript), and
the list of statutory reports with links to each agency's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from plateledger.access.policy_source import PolicySource
from plateledger.api.deps import service
from plateledger.api.errors import ApiError
from plateledger.api.routes.transparency import WINDOW_DAYS, PortalData
from plateledger.audit import AuditLog
from plateledger.catalog import Catalog
from plateledger.catalog.agencies import agency_timezone
from plateledger.store import ReadStore
from plateledger.transparency.render import bar_chart_svg
from plateledger.transparency.reports import REPORTS, reports_for
from plateledger.transparency.service import packs_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _charts(body: dict[str, Any]) -> dict[str, Markup]:
    series = body["figures"]["searches_by_day"]
    days = [r[0] for r in series["rows"]]
    charts = {}
    for column in ("searches", "hits", "alerts"):
        at = series["columns"].index(column)
        charts[column] = Markup(bar_chart_svg(  # every text in it is escaped
            f"{column.capitalize()} by day, last {len(days)} days", days,
            [int(r[at]) for r in series["rows"]]))
    return charts


@router.get("/transparency/{slug}", response_class=HTMLResponse)
async def agency_portal(request: Request, slug: str) -> HTMLResponse:
    from plateledger.web.pages import _page

    catalog = service(request, "catalog", Catalog)
    store = service(request, "store", ReadStore)
    log = service(request, "audit_log", AuditLog)
    source = service(request, "policy", PolicySource)
    if catalog is None or store is None or log is None or source is None:
        response = _page(request, "agency_portal.html", portal=None, slug=slug, charts={})
        response.status_code = 503
        return response
    try:
        body, _ = await PortalData(request, catalog, store, log, source).build(
            slug[:64], WINDOW_DAYS)
    except ApiError as exc:
        response = _page(request, "agency_portal.html", portal=None, slug=slug[:64],
                         charts={}, error=exc.message)
        response.status_code = exc.status
        return response
    return _page(request, "agency_portal.html", portal=body, slug=slug, charts=_charts(body))


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request) -> HTMLResponse:
    from plateledger.web.pages import _page

    catalog = service(request, "catalog", Catalog)
    agencies = await asyncio.to_thread(catalog.agencies) if catalog is not None else []
    rows = [{"slug": a.slug, "name": a.name, "reports": reports_for(packs_of(a)),
             "timezone": agency_timezone(a)} for a in agencies]
    return _page(request, "reports.html", kinds=list(REPORTS.values()), agencies=rows,
                 today=datetime.now(UTC).date().isoformat())


@router.get("/supervision", response_class=HTMLResponse)
def supervision_page(request: Request) -> HTMLResponse:
    from plateledger.web.pages import _page

    return _page(request, "supervision.html")
