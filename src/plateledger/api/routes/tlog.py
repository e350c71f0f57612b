"""The log as C2SP tlog-tiles, its witnesses' cosignatures, and a C2SP tlog-witness.

- ``GET /v1/audit/tlog/checkpoint`` and ``GET /v1/audit/tlog/tile/<L>/<N>[.p/<W>]``: the
  log as https://c2sp.org/tlog-tiles (prefix ``/v1/audit/tlog``), hashes only; the
  checkpoint carries the cosignatures of the witnesses this log trusts.
- ``POST /v1/audit/tlog/cosignatures``: a witness hands in its cosignature of one of
  this log's checkpoints (the checkpoint note with the cosignature lines added).
- ``POST /v1/witness/add-checkpoint``: this server as a witness of other logs
  (https://c2sp.org/tlog-witness), cosigning with ``<data-dir>/witness/cosigner.key``.

- ``GET /v1/audit/tlog/tile/entries/<N>[.p/<W>]``: an entry bundle, for an auditor or
  supervisor whose agency is served every entry in it in full (bearer token; logged
  first). Entries hold what only their agencies' auditors may read, and a bundle holds
  each entry's exact bytes (they hash to its leaf), so it cannot be redacted: it is
  served whole to such a reader or not at all — never to the public. Level-0 tiles hold
  every leaf hash, which is all a verifier or witness needs.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session

from plateledger.access.audit_reads import AuditReader
from plateledger.api.body import read_limited
from plateledger.api.deps import (
    AuditLogDep,
    Credentials,
    SettingsDep,
    get_catalog,
    get_policy,
    optional_user,
)
from plateledger.api.errors import ApiError
from plateledger.api.routes.federation import verify_node
from plateledger.audit import AuditError, LogRangeError, NoteError
from plateledger.audit.log import AuditLog
from plateledger.audit.tiles import parse_tile_path, read_tile
from plateledger.audit.witness import (
    CatalogWitnessState,
    CosignatureStore,
    UnknownCosignerError,
    WitnessRefusal,
    WitnessService,
)
from plateledger.catalog.nodes import log_origin, node_by_name
from plateledger.federation import RequestRefused
from plateledger.federation.witnessing import partner_log_keys, witness_cosigner
from plateledger.settings import Settings

router = APIRouter(tags=["audit"])

TEXT = "text/plain; charset=utf-8"
BODY = {
    "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
}
MAX_BODY = 64 * 1024


async def _text(request: Request) -> str | None:
    """The body as UTF-8 text, or None; 413 as soon as it passes ``MAX_BODY`` bytes (read
    no further: these routes take anyone's request)."""
    data = await read_limited(request, MAX_BODY)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def cosignature_store(request: Request, settings: Settings) -> CosignatureStore:
    """The log's store of cosignatures, one per app (``<data-dir>/cosignatures``)."""
    store = getattr(request.app.state, "tlog_cosignatures", None)
    if not isinstance(store, CosignatureStore):
        store = CosignatureStore(settings.data_dir / "cosignatures")
        request.app.state.tlog_cosignatures = store
    return store


def witness_service(
    request: Request, settings: Settings, log: AuditLog, origin: str
) -> WitnessService:
    """This server's witness, one per app (``<data-dir>/witness``), named ``<origin>/witness``.
    It witnesses the logs of ``logs.txt`` and those of the registered, unrevoked partner
    nodes (read from the catalog on each request); its state is in the catalog database
    (checkpoints a file-kept witness recorded are taken over once)."""
    service = getattr(request.app.state, "tlog_witness", None)
    if not isinstance(service, WitnessService):
        directory = settings.data_dir / "witness"
        state = CatalogWitnessState(log.engine, log)
        state.import_files(directory)
        catalog = getattr(request.app.state, "catalog", None)  # none: an app of the log alone
        service = WitnessService(
            directory,
            witness_cosigner(directory, origin),
            state=state,
            log_keys_of=None if catalog is None else partner_log_keys(catalog.engine),
        )
        request.app.state.tlog_witness = service
    return service


def _signing_log(request: Request, settings: Settings, raw: bytes) -> str | None:
    """The origin of the log whose node signed this ``add-checkpoint`` request (RFC 9421,
    as between nodes), or ``None``: unsigned, not verifying, or a node with no log key.
    tlog-witness asks no signature, and a request without one is answered as any other;
    only a proof the log's own node sent is kept as evidence when it fails
    (`plateledger.audit.witness.WitnessService.add_checkpoint`)."""
    catalog = getattr(request.app.state, "catalog", None)
    if catalog is None or "signature" not in request.headers or settings.node_url_unknown:
        return None
    try:
        node = verify_node(request, settings, catalog.engine, raw)
    except RequestRefused:
        return None
    with Session(catalog.engine) as session:
        found = node_by_name(session, node.name)
        log_key = None if found is None else found.log_key
    return None if log_key is None else log_origin(log_key)


def _plain(status: int, text: str) -> PlainTextResponse:
    return PlainTextResponse(text if text.endswith("\n") else text + "\n", status_code=status,
                             media_type=TEXT)  # fmt: skip


@router.get("/v1/audit/tlog/checkpoint", response_class=PlainTextResponse)
def tlog_checkpoint(request: Request, log: AuditLogDep, settings: SettingsDep) -> Response:
    """The signed checkpoint with its witnesses' cosignatures (C2SP tlog-tiles)."""
    try:
        note = cosignature_store(request, settings).cosigned(log.checkpoint())
    except AuditError as exc:
        return _plain(503, str(exc))
    return PlainTextResponse(note, media_type=TEXT, headers={"Cache-Control": "no-cache"})


@router.get(
    "/v1/audit/tlog/tile/entries/{path:path}",
    response_class=Response,
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "the bundle: each entry as a big-endian 16-bit length "
            "and its stored bytes",
        }
    },
)
def tlog_entry_bundle(
    request: Request,
    log: AuditLogDep,
    credentials: Credentials,
    path: Annotated[str, Path(max_length=200)],
) -> Response:
    """An entry bundle ``<N>[.p/<W>]`` (C2SP tlog-tiles), for an auditor or supervisor
    whose agency is served every entry in it in full; logged before it is served. 401
    without a token, 403 when any entry in it is another agency's to read, 404 for a
    bundle the log has not filled."""
    try:
        tile = parse_tile_path("tile/entries/" + path)
    except LogRangeError as exc:
        return _plain(404, str(exc))
    if credentials is None:  # answered before the catalog is asked anything
        raise ApiError(
            401,
            "not_authenticated",
            "entry bundles hold whole entries: they need an auditor's or supervisor's bearer token",
        )
    catalog = get_catalog(request)
    user = optional_user(catalog, credentials)
    assert user is not None  # a token was given: a bad one is answered 401 there
    try:
        data = AuditReader(log, catalog, get_policy(request)).bundle(user, tile)
    except LogRangeError as exc:  # an entry too long for a bundle's 16-bit length
        return _plain(404, str(exc))
    # whole entries: never kept by a shared cache, whatever the spec's caching advice
    return Response(
        data, media_type="application/octet-stream", headers={"Cache-Control": "private, no-store"}
    )


@router.get(
    "/v1/audit/tlog/tile/{path:path}",
    response_class=Response,
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "the tile's hashes, 32 bytes each",
        }
    },
)
def tlog_tile(log: AuditLogDep, path: Annotated[str, Path(max_length=200)]) -> Response:
    """A hash tile ``<L>/<N>[.p/<W>]``: up to 256 hashes of tree level 8·L (C2SP tlog-tiles)."""
    try:
        tile = parse_tile_path(path)
        if tile.level < 0:  # (answered by `tlog_entry_bundle`, registered first)
            return _plain(404, "entry bundles are served at tile/entries/ to auditors")
        data = read_tile(log, tile)
    except LogRangeError as exc:
        return _plain(404, str(exc))
    except AuditError as exc:
        return _plain(503, str(exc))
    # a tile, full or partial, never changes once the tree has filled it: cache it for good
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@router.post("/v1/audit/tlog/cosignatures", response_class=PlainTextResponse, openapi_extra=BODY)
async def add_cosignatures(request: Request, log: AuditLogDep, settings: SettingsDep) -> Response:
    """Keep a trusted witness's cosignature of one of this log's checkpoints: the body is
    the checkpoint note with the witness's cosignature lines added. 403: no line is by a
    witness this log trusts; 400: not this log's signed checkpoint of its own tree."""
    if log.signer is None:
        return _plain(503, "the audit log has no signing key")
    note = await _text(request)
    if note is None:
        return _plain(400, "the body must be a UTF-8 note")
    store = cosignature_store(request, settings)
    try:
        kept = store.add(note, log.signer.verifier_key(), root_at=log.root_hash)
    except UnknownCosignerError as exc:
        return _plain(403, str(exc))
    except (NoteError, LogRangeError) as exc:
        return _plain(400, str(exc))
    return PlainTextResponse("".join(kept), media_type=TEXT)


@router.post("/v1/witness/add-checkpoint", response_class=PlainTextResponse, openapi_extra=BODY)
async def add_checkpoint(request: Request, log: AuditLogDep, settings: SettingsDep) -> Response:
    """C2SP tlog-witness: cosign a witnessed log's checkpoint that extends the last one
    cosigned. 404 unknown origin, 403 no known key's signature, 409 stale old size
    (body: the latest size, ``text/x.tlog.size``), 422 consistency proof rejected."""
    origin = log.signer.name if log.signer is not None else settings.audit_origin
    service = witness_service(request, settings, log, origin)
    raw = await read_limited(request, MAX_BODY)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _plain(400, "the body must be UTF-8 text")
    sent_by_log = await asyncio.to_thread(_signing_log, request, settings, raw)
    try:
        return PlainTextResponse(service.add_checkpoint(body, sent_by_log=sent_by_log),
                                 media_type=TEXT)
    except WitnessRefusal as exc:
        if exc.status == 409 and exc.size is not None:
            return Response(
                f"{exc.size}\n", status_code=409, headers={"Content-Type": "text/x.tlog.size"}
            )
        return _plain(exc.status, str(exc))
