"""Public audit endpoints: the signed checkpoint, proofs, and redacted entries.

None of these needs a login: anyone may check the log. The full-content listing for
auditors goes through ``entries_page(..., full=True)`` behind authorisation elsewhere.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from plateledger.audit import AuditError, AuditLog, LogRangeError, redact

router = APIRouter(prefix="/v1/audit", tags=["audit"])

MAX_PAGE = 1000
MAX_INDEX = 2**62  # beyond any real log; keeps absurd values out of 64-bit SQL integers


def _audit_log(request: Request) -> AuditLog:
    log = getattr(request.app.state, "audit_log", None)
    if not isinstance(log, AuditLog):
        raise HTTPException(status_code=503, detail="the audit log is not open")
    return log


AuditLogDep = Annotated[AuditLog, Depends(_audit_log)]
Index = Annotated[int, Query(ge=0, le=MAX_INDEX)]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def entries_page(log: AuditLog, start: int, limit: int, *, full: bool) -> dict[str, Any]:
    """Return a page of entries: index, base64 leaf hash, public summary (and the entry).

    ``limit`` is capped at ``MAX_PAGE``. With ``full``, each item also carries the whole
    entry: only for callers authorised to see plates, users and query elements.
    """
    records = log.entries(start, min(limit, MAX_PAGE))
    items: list[dict[str, Any]] = []
    for record in records:
        item: dict[str, Any] = {
            "index": record.index,
            "leaf_hash": _b64(record.leaf_hash),
            "summary": redact(record.entry),
        }
        if full:
            item["entry"] = record.entry
        items.append(item)
    return {"start": start, "limit": limit, "size": log.size(), "entries": items}


@router.get("/checkpoint", response_class=PlainTextResponse)
def get_checkpoint(log: AuditLogDep) -> PlainTextResponse:
    """The current signed checkpoint (C2SP tlog-checkpoint, signed-note, Ed25519)."""
    try:
        note = log.checkpoint()
    except AuditError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


@router.get("/key", response_class=PlainTextResponse)
def get_verifier_key(log: AuditLogDep) -> PlainTextResponse:
    """The verifier key of the checkpoints: compare it with one published elsewhere."""
    if log.signer is None:
        raise HTTPException(status_code=503, detail="the audit log has no signing key")
    return PlainTextResponse(log.signer.verifier_key() + "\n")


@router.get("/proof/inclusion")
def get_inclusion_proof(
    log: AuditLogDep, index: Index, size: Annotated[int | None, Query(ge=1, le=MAX_INDEX)] = None
) -> dict[str, Any]:
    """The audit path of entry ``index`` in the tree of ``size`` (default: current size)."""
    tree_size = log.size() if size is None else size
    try:
        proof = log.inclusion_proof(index, tree_size)
        record = log.entry(index)
        root = log.root_hash(tree_size)
    except LogRangeError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return {
        "index": index,
        "size": tree_size,
        "leaf_hash": _b64(record.leaf_hash),
        "root_hash": _b64(root),
        "proof": [_b64(h) for h in proof],
    }


@router.get("/proof/consistency")
def get_consistency_proof(
    log: AuditLogDep,
    old: Annotated[int, Query(alias="from", ge=0, le=MAX_INDEX)],
    to: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
) -> dict[str, Any]:
    """The proof that the tree of size ``to`` (default: current) extends size ``from``."""
    new = log.size() if to is None else to
    try:
        proof = log.consistency_proof(old, new)
    except LogRangeError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return {"from": old, "to": new, "proof": [_b64(h) for h in proof]}


@router.get("/entries")
def get_entries(
    log: AuditLogDep,
    start: Index = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """Public summaries and leaf hashes of up to ``limit`` entries from ``start``."""
    return entries_page(log, start, limit, full=False)
