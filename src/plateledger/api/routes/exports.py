"""Exports: ``POST /v1/exports`` — a search's reads as a CSV or NDJSON file.

An export is its own policy action (``export``): an agreement that lets a partner search
does not by itself let it take the reads away. It is decided per owner, logged as an
``export`` entry before any byte is sent, and capped at `MAX_EXPORT_ROWS` reads.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from plateledger.api.deps import CurrentUser
from plateledger.api.routes.searches import SearchCreate, SearchResponse, decide_run_log, run_search
from plateledger.catalog import Principal
from plateledger.search import SearchPage
from plateledger.search.filters import MAX_PAGE
from plateledger.search.result import ReadOut
from plateledger.search.scope import Scope

router = APIRouter(prefix="/v1/exports", tags=["search"])

MAX_EXPORT_ROWS = 10_000
COLUMNS = tuple(ReadOut.model_fields)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


class ExportCreate(SearchCreate):
    """A search (its ``params.limit`` is the number of reads to export) and a file format."""

    format: Literal["csv", "ndjson"] = "csv"
    max_rows: int = Field(default=MAX_EXPORT_ROWS, ge=1, le=MAX_EXPORT_ROWS,
                          description="export at most this many reads, newest first")


def _collect(request: Request, body: ExportCreate, scope: Scope) -> SearchPage:
    """Page through the search until ``max_rows`` reads or the end."""
    results: list[ReadOut] = []
    start = body.params.offset
    first: SearchPage | None = None
    while len(results) < body.max_rows:
        size = min(MAX_PAGE, body.max_rows - len(results))
        params = body.params.model_copy(update={"limit": size, "offset": start + len(results)})
        page = run_search(request, body.model_copy(update={"params": params}), scope)
        first = first or page
        results.extend(page.results)
        if len(page.results) < size:
            break
    total = first.total if first is not None else 0
    return SearchPage(kind=body.kind, total=total, limit=body.max_rows, offset=start,
                      results=results)


def _cell(value: object) -> object:
    """A CSV cell; text a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def _render(page: SearchResponse, fmt: str) -> bytes:
    rows = [r.model_dump(mode="json") for r in page.results]
    if fmt == "ndjson":
        return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows).encode()
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return text.getvalue().encode()


def _export(request: Request, body: ExportCreate, user: Principal) -> SearchResponse:
    return decide_run_log(request, body, user, action="export", entry_type="export",
                          execute=lambda scope: _collect(request, body, scope))


@router.post(
    "",
    summary="Export a search's reads as CSV or NDJSON (decided as `export`, and logged)",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["ndjson"]: {}},
                     "description": "the reads, newest first; headers say what was left out"}},
)
async def create_export(request: Request, body: ExportCreate, user: CurrentUser) -> Response:
    page = await asyncio.to_thread(_export, request, body, user)
    denied = ";".join(
        f"{o.owner_id}:{','.join(o.policy_ids)}" for o in page.owners if not o.allowed
    )
    headers = {
        "Content-Disposition":
            f'attachment; filename="plateledger-export-{page.audit_index}.{body.format}"',
        "X-Audit-Index": str(page.audit_index),
        "X-Total-Count": str(page.total),
        "X-Exported-Count": str(len(page.results)),
        "X-Owners-Denied": denied,
        "Cache-Control": "no-store",
    }
    return Response(_render(page, body.format), media_type=MEDIA_TYPES[body.format],
                    headers=headers)
