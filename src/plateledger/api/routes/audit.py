"""Audit endpoints: the signed checkpoint, proofs, and entries.

None of these needs a login: anyone may check the log and read the public summaries.
With ``full=1`` and the token of an auditor or supervisor, ``/entries`` also serves the
whole content of the entries that concern the caller's agency; that reading is itself
logged (an ``audit_read`` entry) before anything is served.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from plateledger.api.deps import Credentials, optional_user
from plateledger.api.errors import ApiError
from plateledger.audit import AuditError, AuditLog, LogRangeError, redact
from plateledger.audit.entry import EntryType, new_entry

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


def entries_page(
    log: AuditLog, start: int, limit: int, *, full: bool,
    visible: Callable[[Mapping[str, Any]], bool] = lambda entry: True,
) -> dict[str, Any]:
    """Return a page of entries: index, base64 leaf hash, public summary (and the entry).

    ``limit`` is capped at ``MAX_PAGE``. With ``full``, each item for which ``visible``
    holds also carries the whole entry: only for callers authorised to see plates, users
    and query elements.
    """
    records = log.entries(start, min(limit, MAX_PAGE))
    items: list[dict[str, Any]] = []
    for record in records:
        item: dict[str, Any] = {
            "index": record.index,
            "leaf_hash": _b64(record.leaf_hash),
            "summary": redact(record.entry),
        }
        if full and visible(item["summary"]):
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
    request: Request,
    log: AuditLogDep,
    credentials: Credentials,
    start: Index = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    full: Annotated[bool, Query(description="whole entries (auditors and supervisors)")] = False,
) -> dict[str, Any]:
    """Public summaries and leaf hashes of up to ``limit`` entries from ``start``; with
    ``full``, the whole content of the entries that concern the caller's agency."""
    if not full:
        return entries_page(log, start, limit, full=False)
    # Resolved here, not as a dependency: the public listing needs no catalog at all.
    user = optional_user(request.app.state.catalog, credentials)
    if user is None:
        raise ApiError(401, "not_authenticated", "full entries need an auditor's or "
                       "supervisor's bearer token")
    if not user.has_role("auditor", "supervisor"):
        raise ApiError(403, "forbidden", "full entries are for auditors and supervisors")
    agency = request.app.state.catalog.agency(user.agency_id)
    slug = "" if agency is None else str(agency.slug)
    page = entries_page(log, start, limit, full=True,
                        visible=lambda summary: slug in summary.get("agencies", ()))
    served = [item["index"] for item in page["entries"] if "entry" in item]
    if served:
        try:
            log.append(new_entry(EntryType.AUDIT_READ, user=user.username, agency=slug,
                                 indexes=served))
        except Exception as exc:  # fail closed: no record of the reading, no content
            raise ApiError(503, "fail_closed", "the audit log could not record this "
                           "reading; no entry was served") from exc
    return page
