"""Ingest URLs: reads posted by clients that cannot send a key header (``alprd``).

``POST /v1/ingest/{credential}/{format}`` takes what ``POST /v1/reads/{format}`` takes, with
the credential in the path instead of the ``X-API-Key`` header. The credential is an
ingest-only one of one camera (`plateledger.catalog.ingest_urls`): its reads are stored as
that camera's, whatever the payload calls the camera — unless the agency mapped the
payload's camera name to another of its cameras for this format (a camera alias: one
``alprd`` posting several streams to one address) — and it opens no other route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from plateledger.api.deps import CatalogDep, ImagesDep, IngestDep, SettingsDep
from plateledger.api.errors import ApiError
from plateledger.api.routes.reads import IngestResult, ingest_body
from plateledger.ingest import ADAPTERS

router = APIRouter(prefix="/v1/ingest", tags=["ingest"])


@router.post(
    "/{credential}/{format_name}",
    response_model=IngestResult,
    summary="Post reads in a vendor format with an ingest URL (for clients such as alprd "
    "that cannot send a key header)",
)
async def post_reads_by_url(
    request: Request,
    catalog: CatalogDep,
    ingest: IngestDep,
    settings: SettingsDep,
    images: ImagesDep,
    credential: Annotated[str, Path(max_length=200, description="the ingest URL's credential "
                                    "(`pli_…`), shown once when issued")],
    format_name: Annotated[str, Path(description=f"one of: {', '.join(sorted(ADAPTERS))}")],
) -> IngestResult:
    principal = catalog.authenticate_ingest_url(credential)
    if principal is None:
        raise ApiError(401, "unknown_ingest_url",
                       "this ingest URL is unknown or revoked: ask the agency's admin for one")
    return await ingest_body(request, ingest, settings, principal, format_name, None,
                             credential_kind="ingest_url", images=images,
                             url_camera=principal.camera_id)
