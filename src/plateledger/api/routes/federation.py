"""Node-to-node requests: ``POST /v1/federation/searches`` and ``/v1/federation/exports``.

Only a request signed by a registered, unrevoked partner node is read (RFC 9421, see
`plateledger.federation.verify`); user tokens are not accepted here. The signature is
checked before the body is used; the search, of any kind, then runs through the same
workflow as a local one (`plateledger.access.federated`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from plateledger.access.federated import (
    FederatedSearch,
    FederatedSearchResponse,
    SearchIdReused,
    federated_search,
)
from plateledger.access.federated_exports import FederatedExport, answer_export
from plateledger.access.gate import AccessGate
from plateledger.api.deps import CatalogDep, GateDep, StoreDep
from plateledger.api.errors import ApiError
from plateledger.federation import NodeVerifier, RequestRefused, VerifiedNode
from plateledger.federation.signatures import RequestParts
from plateledger.store import ReadStore

router = APIRouter(prefix="/v1/federation", tags=["search"])

REFUSED: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "not signed by a registered node, a changed body, a stale or "
        "replayed request (`signature_missing`, `signature_invalid`, `digest_mismatch`, "
        "`unknown_node`, `signature_expired`, `replayed_request`)"
    },
    403: {"description": "a revoked node key (`node_revoked`)"},
    409: {
        "description": "a search UUID already answered for this node (`search_id_reused`): "
        "one search, one entry in the owner's log; or a vouched approval that already ran "
        "a search here (`approval_used`)"
    },
    422: {
        "description": "a search this node refuses as it would a local one, before any "
        "read is looked at (`plate_required`, `stakeout_required`, `unbounded_area`, "
        "`legal_basis_required` …), or a malformed body (`invalid_request`)"
    },
}


async def signed_node(request: Request, catalog: CatalogDep) -> VerifiedNode:
    """The registered node that signed this request, or 401/403 with its code."""
    body = await request.body()
    query = request.url.query
    parts = RequestParts(request.method, request.headers.get("host", ""), request.url.path, query)
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        return await asyncio.to_thread(NodeVerifier(catalog.engine).verify, parts, headers, body)
    except RequestRefused as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None


SignedNode = Annotated[VerifiedNode, Depends(signed_node)]


@router.post(
    "/searches",
    response_model=FederatedSearchResponse,
    responses=REFUSED,
    summary="Answer a partner node's signed search under this node's policies",
)
async def federation_search(
    node: SignedNode,
    body: FederatedSearch,
    gate: GateDep,
    store: StoreDep,
) -> FederatedSearchResponse:
    return await _answer(node, body, federated_search, gate, store)


@router.post(
    "/exports",
    response_model=FederatedSearchResponse,
    responses=REFUSED,
    summary="Answer a partner node's signed export under this node's policies (`export`)",
)
async def federation_export(
    node: SignedNode,
    body: FederatedExport,
    gate: GateDep,
    store: StoreDep,
) -> FederatedSearchResponse:
    return await _answer(node, body, answer_export, gate, store)


async def _answer(
    node: VerifiedNode,
    body: Any,
    answer: Callable[..., FederatedSearchResponse],
    gate: AccessGate,
    store: ReadStore,
) -> FederatedSearchResponse:
    """``answer`` the request of ``node`` (registered for the requester's agency, or 403)
    through the same workflow as a local user's; a search UUID or approval it already
    used is 409."""
    if not node.answers_for(body.requester.agency):
        raise ApiError(
            403,
            "agency_not_registered",
            f"node `{node.name}` is not registered for agency `{body.requester.agency[:64]}`",
        )
    try:
        return await asyncio.to_thread(
            answer,
            gate,
            store,
            body,
            node=node.name,
            key_id=node.key_id,
            node_agencies=node.agencies,
        )
    except SearchIdReused as exc:
        raise ApiError(409, exc.code, exc.message) from None
