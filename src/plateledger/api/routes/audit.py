"""Audit endpoints: the signed checkpoint, proofs, and entries.

None of these needs a login: anyone may check the log, read the public summaries and
their counts. With ``full=1`` and the token of an auditor or supervisor, ``/entries`` also
serves what the caller's agency may see of each entry; who sees which view, and the
``audit_read`` entry written before anything is served, are `plateledger.access.audit_reads`.
"""

from __future__ import annotations

import base64
from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from plateledger.access.audit_export import (
    MEDIA_TYPES,
    AuditExporter,
    ExportFilter,
    to_csv,
    to_ndjson,
    to_xlsx,
)
from plateledger.access.audit_reads import MAX_PAGE, AuditReader, entries_page, entry_item
from plateledger.api.deps import (
    AuditLogDep,
    Credentials,
    Principal,
    get_catalog,
    get_policy,
    optional_user,
)
from plateledger.api.errors import ApiError
from plateledger.audit import AuditError, LogRangeError, redact

__all__ = ["entries_page", "router"]

router = APIRouter(prefix="/v1/audit", tags=["audit"])

MAX_COUNT_WINDOW = 100_000
MAX_INDEX = 2**62  # beyond any real log; keeps absurd values out of 64-bit SQL integers

Index = Annotated[int, Query(ge=0, le=MAX_INDEX)]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


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


FullFlag = Annotated[bool, Query(description="what your agency may see of each entry "
                                             "(auditors and supervisors)")]


def _audit_reader(
    request: Request, log: AuditLogDep, credentials: Credentials, full: FullFlag = False,
) -> tuple[AuditReader, Principal] | None:
    """With ``full``, the audit log as the caller may read it and who the caller is;
    ``None`` without ``full``. The public listing needs no catalog at all: the services
    and the user are resolved only when ``full`` asks for more."""
    if not full:
        return None
    catalog = get_catalog(request)
    user = optional_user(catalog, credentials)
    if user is None:
        raise ApiError(401, "not_authenticated", "full entries need an auditor's or "
                       "supervisor's bearer token")
    return AuditReader(log, catalog, get_policy(request)), user


FullReader = Annotated[tuple[AuditReader, Principal] | None, Depends(_audit_reader)]


@router.get("/entries")
def get_entries(
    log: AuditLogDep,
    full: FullReader,
    start: Index = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """Public summaries and leaf hashes of up to ``limit`` entries from ``start``; with
    ``full``, also what the caller's agency may see of each (docs/audit.md)."""
    if full is None:
        return entries_page(log, start, limit)
    reader, user = full
    return reader.page(user, start, limit)


@router.get("/entries/{index}")
def get_entry(
    log: AuditLogDep, full: FullReader, index: Annotated[int, Path(ge=0, le=MAX_INDEX)],
) -> dict[str, Any]:
    """One entry: its public summary and leaf hash; with ``full``, also what the caller's
    agency may see of it."""
    if index >= log.size():
        raise ApiError(404, "no_such_entry", f"there is no entry {index}")
    if full is None:
        return entry_item(log.entry(index), None)
    reader, user = full
    return reader.entry(user, index)


@router.get(
    "/export",
    summary="Export the accesses your agency is served in full, as CSV, XLSX or NDJSON, "
            "or one page of them as JSON",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["ndjson"]: {},
                                 MEDIA_TYPES["xlsx"]: {}, "application/json": {}},
                     "description": "one row per search, export or alert (docs/audit.md); "
                                    "`json`: one page, newest first, with the total"}},
)
def get_export(
    request: Request,
    log: AuditLogDep,
    credentials: Credentials,
    format: Literal["csv", "ndjson", "xlsx", "json"] = "csv",
    start: Index = 0,
    end: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    user: Annotated[str | None, Query(max_length=128, description="who acted")] = None,
    agency: Annotated[str | None, Query(
        max_length=64, description="agency slug: whose user acted, or for whom")] = None,
    purpose: Annotated[str | None, Query(max_length=64)] = None,
    offense: Annotated[str | None, Query(max_length=8, description="NIBRS code")] = None,
    case: Annotated[str | None, Query(max_length=64, description="case number")] = None,
    flag: Annotated[str | None, Query(max_length=64, description="a reason flag")] = None,
    decision: Annotated[Literal["allowed", "denied"] | None, Query(
        description="`allowed`: every owner released; `denied`: at least one denied")] = None,
    kind: Annotated[str | None, Query(max_length=32, description="search type")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INDEX, description="`json` only")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="`json` only")] = 50,
) -> Response:
    """Rows for the caller's agency's auditors and supervisors only, with exactly the
    visibility of ``/entries?full=1``, filtered; the rows served are logged before they
    are served."""
    found = _audit_reader(request, log, credentials, full=True)
    assert found is not None
    reader, who = found
    where = ExportFilter(user=user, agency=agency, purpose=purpose, offense=offense,
                         case=case, flag=flag, decision=decision, kind=kind,
                         since=since, until=until)
    exporter = AuditExporter(reader)
    if format == "json":
        page = exporter.page(who, where=where, offset=offset, limit=limit, start=start, end=end)
        return JSONResponse(page, headers={"Cache-Control": "no-store"})
    rows = exporter.rows(who, start, end, where=where)
    content: str | bytes = (to_csv(rows) if format == "csv" else to_xlsx(rows)
                            if format == "xlsx" else to_ndjson(rows))
    headers = {
        "Content-Disposition": f'attachment; filename="audit-export.{format}"',
        "X-Exported-Count": str(len(rows)),
        "Cache-Control": "no-store",
    }
    return Response(content, media_type=MEDIA_TYPES[format], headers=headers)


@router.get("/counts")
def get_counts(
    log: AuditLogDep,
    window: Annotated[int, Query(ge=1, le=MAX_COUNT_WINDOW)] = 1000,
) -> dict[str, Any]:
    """Counts over the public summaries of the latest ``window`` entries: entries by type,
    searches by purpose, accesses each owner released and denied, hot-list hits withheld
    per owner of the reads and class of the list (published together at the end of
    each day: never whose list it was), alarms by kind, and reads dropped in
    collection zones per owner and rule id."""
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
    zone_drops: Counter[tuple[str, str]] = Counter()
    for s in summaries:
        kind = str(s.get("type"))
        by_type[kind] += 1
        if kind == "search" and not s.get("later_page"):  # a search once, not per page
            row = purposes.setdefault(str(s.get("purpose", "")), {"searches": 0, "reads": 0})
            row["searches"] += 1
            row["reads"] += int(s.get("result_count", 0))
        if kind == "alert_withheld":
            withheld[(str(s.get("read_owner", "")), str(s.get("list_class", "")))] += 1
        else:
            released.update(s.get("released", ()))
            denied.update(s.get("denied", ()))
        if kind == "alarm":
            alarms[str(s.get("alarm", ""))] += 1
        if kind == "zone_drop":
            for rule, n in dict(s.get("counts") or {}).items():
                zone_drops[(str(s.get("owner_agency", "")), str(rule))] += int(n)
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
            {"read_owner": owner, "list_class": klass, "count": n}
            for (owner, klass), n in sorted(withheld.items())
        ],
        "alarms_by_kind": dict(sorted(alarms.items())),
        "zone_drops": [
            {"owner": owner, "rule_id": rule, "reads": n}
            for (owner, rule), n in sorted(zone_drops.items())
        ],
    }
