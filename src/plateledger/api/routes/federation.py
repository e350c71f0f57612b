"""Node-to-node requests: ``POST /v1/federation/searches`` and ``/v1/federation/exports``.

Only a request signed by a registered, unrevoked partner node is read (RFC 9421, see
`plateledger.federation.verify`); user tokens are not accepted here. The signature is
checked, over this node's own authority (`Settings.node_url`), before the body is read as
JSON (`SignedFirst`, which the hot-list routes between nodes use too); the search, of any
kind, then runs through the same workflow as a local one
(`plateledger.access.federated`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from plateledger.access.federated import (
    FederatedSearch,
    FederatedSearchResponse,
    SearchIdReused,
    federated_search,
)
from plateledger.access.federated_exports import FederatedExport, answer_export
from plateledger.access.gate import AccessGate
from plateledger.api.body import read_limited
from plateledger.api.deps import GateDep, StoreDep, get_catalog, get_settings
from plateledger.api.errors import ApiError
from plateledger.federation import NodeVerifier, RequestRefused, VerifiedNode
from plateledger.federation.signatures import RequestParts, url_authority
from plateledger.settings import Settings
from plateledger.store import ReadStore

REFUSED: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "not signed by a registered node, signed for another node's "
        "authority than this node's public URL, a changed body, a stale or replayed "
        "request (`signature_missing`, `signature_invalid`, `digest_mismatch`, "
        "`unknown_node`, `signature_expired`, `replayed_request`); checked before the "
        "body is read"
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
        "`legal_basis_required` …), or a malformed body (`invalid_request`), such as an "
        "entry index past 2**53 - 1"
    },
}


async def signed_node(request: Request) -> VerifiedNode:
    """The registered node that signed this request, or 401/403 with its code (413 for a
    body past `Settings.max_body_bytes`, read no further; 401 ``signature_invalid`` for
    every request while this node has no URL of its own, `Settings.node_url_unknown`); verified
    once per request (`SignedFirst` verifies it before the body is parsed).

    ``@authority`` is this node's own (`Settings.node_url`), never the ``Host`` the
    request arrived with: a request signed for another node — relayed here by that node,
    or by anyone on the way to it — does not verify (``signature_invalid``), whatever
    ``Host`` it carries. A proxy in front of this node may rewrite ``Host``; the
    authority partners sign for is the URL they registered, which `public_url` names."""
    known = getattr(request.state, "signed_node", None)
    if isinstance(known, VerifiedNode):
        return known
    catalog, settings = get_catalog(request), get_settings(request)
    if settings.node_url_unknown:  # no authority of its own to check a signature against
        raise ApiError(401, "signature_invalid", "this node is served on a wildcard address "
                       f"(`{url_authority(settings.node_url)}`) and has no public URL: a "
                       "partner's signature names the host it was signed for, so no request "
                       "is answered until PLATELEDGER_PUBLIC_URL is set")
    # at most the limit every other body has (413), and kept for the route to parse
    body = await read_limited(request, settings.max_body_bytes)
    request._body = body  # Starlette's own cache of the read body
    own = url_authority(settings.node_url)
    try:
        verified = await asyncio.to_thread(verify_node, request, settings, catalog.engine, body)
    except RequestRefused as exc:
        message = exc.message
        if exc.code == "signature_invalid":  # say which authority, for a misconfigured pair
            message += f"; this node verifies requests signed for `{own}` (its public URL)"
            arrived = request.headers.get("host", "").lower()
            if arrived != own:
                message += f", this one arrived for `{arrived[:128]}`"
        raise ApiError(exc.status, exc.code, message) from None
    request.state.signed_node = verified
    return verified


def _signed(dependant: Dependant) -> bool:
    return any(d.call is signed_node or _signed(d) for d in dependant.dependencies)


def verify_node(request: Request, settings: Settings, engine: Engine,
                body: bytes) -> VerifiedNode:  # fmt: skip
    """The registered node that signed ``request`` (its ``body`` read), checked over this
    node's own authority (`Settings.node_url`); `RequestRefused` otherwise."""
    parts = RequestParts(request.method, url_authority(settings.node_url), request.url.path,
                         request.url.query)  # fmt: skip
    headers = {name.lower(): value for name, value in request.headers.items()}
    return NodeVerifier(engine).verify(parts, headers, body)


class SignedFirst(APIRoute):
    """A route that takes a node's signed request verifies the signature before FastAPI
    reads the body as JSON: an unsigned or badly signed request is refused as such (401,
    403) and learns nothing of how its body would be read; only a verified request's body
    is validated (422). Routes without `signed_node` are left as they are."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not _signed(self.dependant):
            return handler

        async def verified_first(request: Request) -> Response:
            await signed_node(request)
            return await handler(request)

        return verified_first


SignedNode = Annotated[VerifiedNode, Depends(signed_node)]

router = APIRouter(prefix="/v1/federation", tags=["search"], route_class=SignedFirst)


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
