"""Exports: ``POST /v1/exports`` — a search's reads as a CSV or NDJSON file.

HTTP shape only: deciding ``export``, collecting, logging and rendering are
`plateledger.access.exports` (and, with partner nodes, `plateledger.access.federated_exports`);
the headers say what was left out.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response

from plateledger.access import federated_exports
from plateledger.access.exports import MEDIA_TYPES, ExportCreate
from plateledger.api.deps import CurrentUser, GateDep, HoldsDep, NodeLinkDep, StoreDep

router = APIRouter(prefix="/v1/exports", tags=["search"])


@router.post(
    "",
    summary="Export a search's reads as CSV or NDJSON (decided as `export`, and logged)",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["ndjson"]: {}},
                     "description": "the reads, newest first; headers say what was left out"}},
)
async def create_export(
    body: ExportCreate, user: CurrentUser, gate: GateDep, store: StoreDep, holds: HoldsDep,
    link: NodeLinkDep,
) -> Response:
    # Of this node's own owners, and sent to the partner nodes that answer for the others
    # (docs/federation.md): each decides `export` and logs its part.
    file = await asyncio.to_thread(
        federated_exports.export, gate, store, holds, body, user, link=link
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{file.filename}"',
        "X-Audit-Index": str(file.page.audit_index),
        "X-Total-Count": str(file.page.total),
        "X-Exported-Count": str(len(file.page.results)),
        "X-Owners-Denied": file.owners_denied(),
        "X-Owners-Unavailable": file.owners_unavailable(),
        "Cache-Control": "no-store",
    }
    if file.page.federation_audit_index is not None:
        headers["X-Federation-Audit-Index"] = str(file.page.federation_audit_index)
    return Response(file.content, media_type=file.media_type, headers=headers)
