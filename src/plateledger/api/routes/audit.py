"""Audit endpoints: the signed checkpoint, proofs, and entries.

None of these needs a login: anyone may check the log, read the public summaries and
their counts. With ``full=1`` and the token of an auditor or supervisor, ``/entries`` also
serves what the caller's agency may see of each entry (`plateledger.audit.redaction`: the
whole entry of its own users' accesses and of accesses that released its data, the denied
owner's view of accesses it denied, nothing more of the rest); that reading is itself
logged (an ``audit_read`` entry) before anything is served.
"""

from __future__ import annotations

import base64
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import PlainTextResponse

from plateledger.api.deps import Credentials, Principal, optional_user
from plateledger.api.errors import ApiError
from plateledger.audit import AuditError, AuditLog, AuditRecord, LogRangeError, redact
from plateledger.audit.entry import EntryType, new_entry
from plateledger.audit.redaction import Reader, View, served

router = APIRouter(prefix="/v1/audit", tags=["audit"])

MAX_PAGE = 1000
MAX_COUNT_WINDOW = 100_000
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


def _item(record: AuditRecord, reader: Reader | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "index": record.index,
        "leaf_hash": _b64(record.leaf_hash),
        "summary": redact(record.entry),
    }
    if reader is not None:
        view, content = served(record.entry, reader)
        item["view"] = str(view)
        if view is not View.PUBLIC:
            item["entry"] = content
    return item


def entries_page(
    log: AuditLog, start: int, limit: int, *, reader: Reader | None = None,
) -> dict[str, Any]:
    """Return a page of entries: index, base64 leaf hash and public summary of each.

    ``limit`` is capped at ``MAX_PAGE``. With ``reader`` (an auditor's or supervisor's
    agency), each item also names its ``view`` and, where that is not the public one,
    carries in ``entry`` what that agency may see: the whole entry, or the denied owner's
    view (`plateledger.audit.redaction`).
    """
    records = log.entries(start, min(limit, MAX_PAGE))
    items = [_item(record, reader) for record in records]
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


def _reader(request: Request, credentials: Any) -> tuple[Principal, Reader]:
    # Resolved here, not as a dependency: the public listing needs no catalog at all.
    user = optional_user(request.app.state.catalog, credentials)
    if user is None:
        raise ApiError(401, "not_authenticated", "full entries need an auditor's or "
                       "supervisor's bearer token")
    if not user.has_role("auditor", "supervisor"):
        raise ApiError(403, "forbidden", "full entries are for auditors and supervisors")
    agency = request.app.state.catalog.agency(user.agency_id)
    slug = "" if agency is None else str(agency.slug)
    return user, Reader(slug, user.agency_id)


def _log_reading(log: AuditLog, user: Principal, reader: Reader, page: dict[str, Any]) -> None:
    """Append the ``audit_read`` entry of what is about to be served, or refuse."""
    shown = [item for item in page["entries"] if "entry" in item]
    if not shown:
        return
    try:
        log.append(new_entry(
            EntryType.AUDIT_READ, user=user.username, agency=reader.slug,
            indexes=[item["index"] for item in shown],
            views=[item["view"] for item in shown],
        ))
    except Exception as exc:  # fail closed: no record of the reading, no content
        raise ApiError(503, "fail_closed", "the audit log could not record this "
                       "reading; no entry was served") from exc


FullFlag = Annotated[bool, Query(description="what your agency may see of each entry "
                                             "(auditors and supervisors)")]


@router.get("/entries")
def get_entries(
    request: Request,
    log: AuditLogDep,
    credentials: Credentials,
    start: Index = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    full: FullFlag = False,
) -> dict[str, Any]:
    """Public summaries and leaf hashes of up to ``limit`` entries from ``start``; with
    ``full``, also what the caller's agency may see of each (docs/audit.md)."""
    if not full:
        return entries_page(log, start, limit)
    user, reader = _reader(request, credentials)
    page = entries_page(log, start, limit, reader=reader)
    _log_reading(log, user, reader, page)
    return page


@router.get("/entries/{index}")
def get_entry(
    request: Request, log: AuditLogDep, credentials: Credentials, index: Annotated[
        int, Path(ge=0, le=MAX_INDEX)], full: FullFlag = False,
) -> dict[str, Any]:
    """One entry: its public summary and leaf hash; with ``full``, also what the caller's
    agency may see of it."""
    if index >= log.size():
        raise ApiError(404, "no_such_entry", f"there is no entry {index}")
    if not full:
        return _item(log.entry(index), None)
    user, reader = _reader(request, credentials)
    item = _item(log.entry(index), reader)
    _log_reading(log, user, reader, {"entries": [item]})
    return item


@router.get("/counts")
def get_counts(
    log: AuditLogDep,
    window: Annotated[int, Query(ge=1, le=MAX_COUNT_WINDOW)] = 1000,
) -> dict[str, Any]:
    """Counts over the public summaries of the latest ``window`` entries: entries by type,
    searches by purpose, accesses each owner released and denied, hot-list hits withheld
    from each list owner per owner of the reads, and alarms by kind."""
    size = log.size()
    start = max(0, size - window)
    summaries: list[dict[str, Any]] = []
    at = start
    while at < size:
        page = log.entries(at, min(MAX_PAGE, size - at))
        if not page:
            break
        summaries += [redact(record.entry) for record in page]
        at += len(page)
    return {"size": size, "start": start, "counted": len(summaries), **count(summaries)}


def count(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The public counts of ``summaries`` (a function of the public summaries only)."""
    by_type: Counter[str] = Counter()
    purposes: dict[str, dict[str, int]] = {}
    released: Counter[str] = Counter()
    denied: Counter[str] = Counter()
    withheld: Counter[tuple[str, str]] = Counter()
    alarms: Counter[str] = Counter()
    for s in summaries:
        kind = str(s.get("type"))
        by_type[kind] += 1
        if kind == "search":
            row = purposes.setdefault(str(s.get("purpose", "")), {"searches": 0, "reads": 0})
            row["searches"] += 1
            row["reads"] += int(s.get("result_count", 0))
        if kind == "alert_withheld":
            withheld[(str(s.get("read_owner", "")), str(s.get("list_owner", "")))] += 1
        else:
            released.update(s.get("released", ()))
            denied.update(s.get("denied", ()))
        if kind == "alarm":
            alarms[str(s.get("alarm", ""))] += 1
    by_owner: Counter[str] = Counter()
    for (owner, _), n in withheld.items():
        by_owner[owner] += n
    return {
        "by_type": dict(sorted(by_type.items())),
        "searches_by_purpose": dict(sorted(purposes.items())),
        "released_by_owner": dict(sorted(released.items())),
        "denied_by_owner": dict(sorted(denied.items())),
        "withheld_hits_by_owner": dict(sorted(by_owner.items())),
        "withheld_hits": [
            {"read_owner": owner, "list_owner": to, "count": n}
            for (owner, to), n in sorted(withheld.items())
        ],
        "alarms_by_kind": dict(sorted(alarms.items())),
    }
