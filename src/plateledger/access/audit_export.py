"""Exporting the audit log's accesses (searches, exports, hot-list alerts) as rows an
auditor analyses: the columns of the vendors' audit exports and what they leave out (the
decision per owner with its rule ids, the legal basis, the requester's jurisdiction, the
reads returned per owner, the digest of what was returned, the leaf index, the link to its
inclusion proof, the checkpoint size covering it).

The export serves exactly what `plateledger.access.audit_reads` serves: an entry is a row
only where the reader's agency is served its full view or its owner view
(`plateledger.audit.redaction`), built from that view (an owner's row holds its own part
of the result only); entries seen denied or public are left out, never summarised into a
row. Which user may export at all is the same policy decision (``view_audit``), and the
export is logged as an ``audit_read`` entry naming the indexes (and each one's view)
before any row is returned. Filters (user, agency, purpose, offense, case, flag, decision,
kind, time) apply to those rows only.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from plateledger import spreadsheet
from plateledger.access.audit_reads import MAX_PAGE, AuditReader
from plateledger.access.errors import AuditUnavailable
from plateledger.access.local_time import agency_zone, local_time, zone_of
from plateledger.audit import AuditRecord
from plateledger.audit.entry import EntryType, new_entry, rfc3339
from plateledger.audit.redaction import Reader, View, denied, released, served
from plateledger.catalog import Principal

__all__ = [
    "COLUMNS",
    "EXPORTED_TYPES",
    "MEDIA_TYPES",
    "AuditExporter",
    "ExportFilter",
    "row_id",
    "to_csv",
    "to_ndjson",
    "to_xlsx",
]

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

EXPORTED_TYPES = frozenset({"search", "export", "alert_delivery"})
"""The entry types an audit export lists (accesses that reveal reads)."""

LEAF_NAMESPACE = uuid.UUID("6b1d1c52-4a0e-5f0b-9a51-0c2f4e3a7d10")
"""The namespace of the IDs derived from leaf hashes (entries logged without a search_id)."""

COLUMNS = (
    "ID",
    "Name",
    "Org Name",
    "Org Slug",
    "Org Class",
    "Requested By",
    "Requester Jurisdiction",
    "Total Networks Searched",
    "Total Devices Searched",
    "Decision",
    "Networks Released",
    "Networks Denied",
    "Time Frame Start",
    "Time Frame End",
    "License Plate",
    "Reason",
    "Reason Flags",
    "Offense Type",
    "Case #",
    "Filters",
    "Search Time (UTC)",
    "Search Time (Local)",
    "Search Type",
    "Purpose",
    "Legal Basis",
    "Reads Returned",
    "Reads Returned Per Network",
    "Reads Matched",
    "Result Digest",
    "Leaf Index",
    "Inclusion Proof",
    "Checkpoint Size",
    "Policy Set",
    "Agency Facts",
)
"""The columns of every format, in order."""

UNBOUNDED = "unbounded"
"""Time Frame Start of a search without ``since`` (as far back as retention keeps reads;
its end without ``until`` is the search time)."""

Decision = Literal["allowed", "denied"]
_OWN_QUERY_KEYS = frozenset({"plate", "since", "until", "legal_basis", "offense_type", "search_id"})


@dataclass(frozen=True)
class ExportFilter:
    """Which rows to keep; ``None`` keeps all. ``agency`` is the slug of the agency whose
    user acted or for which the access was made; ``decision`` ``allowed``: every owner
    asked released data, ``denied``: at least one denied; ``flag``: a flag of the reason
    screening; ``since``/``until``: when the entry was logged, ``until`` excluded."""

    user: str | None = None
    agency: str | None = None
    purpose: str | None = None
    offense: str | None = None
    case: str | None = None
    flag: str | None = None
    decision: Decision | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def admits(self, row: Mapping[str, str]) -> bool:
        """Whether ``row`` passes every filter given."""
        wanted = (
            (self.user, row["Name"]),
            (self.purpose, row["Purpose"]),
            (self.offense, row["Offense Type"]),
            (self.case, row["Case #"]),
            (self.kind, row["Search Type"]),
        )
        if any(want is not None and want != got for want, got in wanted):
            return False
        if self.agency is not None and self.agency not in (row["Org Slug"], row["Requested By"]):
            return False
        if self.flag is not None and self.flag not in row["Reason Flags"].split(";"):
            return False
        if self.decision is not None and (self.decision == "denied") != bool(
            row["Networks Denied"]
        ):
            return False
        when = row["Search Time (UTC)"]
        return not (
            (self.since and when < _stamp(self.since))
            or (self.until and when >= _stamp(self.until))
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def row_id(record: AuditRecord, query: Mapping[str, Any]) -> str:
    """The search's UUID (the same in its answer, its entry and case reports); for an
    entry logged without one, a UUID derived from its leaf hash (stable: UUIDv5)."""
    given = query.get("search_id")
    if isinstance(given, str) and given:
        return given
    return str(uuid.uuid5(LEAF_NAMESPACE, record.leaf_hash.hex()))


def _legal_basis(entry: Mapping[str, Any], query: Mapping[str, Any]) -> str:
    basis = query.get("legal_basis") or entry.get("legal_basis")
    if isinstance(basis, Mapping):
        entry = {f"legal_basis_{k}": v for k, v in basis.items()}
    elif basis:
        return _text(basis)
    kind, number, court = (entry.get(f"legal_basis_{k}") for k in ("kind", "number", "court"))
    if not (kind or number):
        return ""
    text = f"{str(kind or '').replace('_', ' ')} {number or ''}".strip()
    return f"{text} ({court})" if court else text


def _area_bound(query: Mapping[str, Any], pick: Callable[[list[str]], str]) -> str:
    """The earliest ``since`` (``min``) or latest ``until`` (``max``) of a stakeout's
    areas, where the query records them; ``""`` otherwise."""
    stakeout = query.get("stakeout")
    areas = stakeout.get("areas") if isinstance(stakeout, Mapping) else None
    key = "since" if pick is min else "until"
    times = [str(a[key]) for a in areas or () if isinstance(a, Mapping) and a.get(key)]
    return pick(times) if times else ""


LOGGED = "logged"
FROM_CATALOG = "catalog at export"
"""``Agency Facts``: the agencies' names, classes and jurisdictions were recorded in the
entry when the access was decided (`LOGGED`), or, for an entry logged before they were
recorded, are read from the catalog as it is at export time (`FROM_CATALOG`: an agency
reclassified since shows its new class)."""


@dataclass(frozen=True)
class _Agency:
    name: str
    kind: str
    zone: str
    jurisdiction: str


def _logged(entry: Mapping[str, Any], slug: str) -> _Agency | None:
    """The facts of agency ``slug`` as the entry recorded them when it was decided."""
    facts = entry.get("agency_facts")
    found = facts.get(slug) if isinstance(facts, Mapping) else None
    if not isinstance(found, Mapping):
        return None
    state = str(found.get("home_state") or "")
    return _Agency(
        str(found.get("name") or slug),
        str(found.get("class") or ""),
        zone_of(state, str(found.get("timezone") or "") or None),
        ", ".join(p for p in (str(found.get("jurisdiction") or ""), state) if p),
    )


def _row(
    record: AuditRecord,
    entry: Mapping[str, Any],
    *,
    agencies: Mapping[str, _Agency],
    checkpoint_size: int,
) -> dict[str, str]:
    query = entry.get("query") if isinstance(entry.get("query"), Mapping) else {}
    assert isinstance(query, Mapping)
    kind = entry.get("type")
    filters = {k: v for k, v in query.items() if k not in _OWN_QUERY_KEYS}
    if kind == "export" and entry.get("kind"):
        filters["search_kind"] = entry.get("kind")
    if kind == "alert_delivery":
        filters.update(
            {k: entry[k] for k in ("list_id", "category", "list_class", "match_kind") if k in entry}
        )
    denials = denied(entry)
    releases = released(entry)
    allowed_ids = entry.get("owners_allowed_policy_ids")
    if not isinstance(allowed_ids, Mapping):
        allowed_ids = (
            {o: entry.get("policy_ids") or [] for o in releases} if kind == "alert_delivery" else {}
        )
    by_owner = entry.get("returned_by_owner")
    if kind == "alert_delivery":
        by_owner = {str(entry.get("owner_agency")): 1}
    slug = _text(entry.get("agency"))
    requester = _text(entry.get("requested_by_agency")) or slug
    acting, jurisdiction = _logged(entry, slug), _logged(entry, requester)
    logged = acting is not None and jurisdiction is not None
    if not logged:  # an entry from before the facts were recorded
        acting, jurisdiction = agencies.get(slug), agencies.get(requester)
    when = _text(entry.get("time")) or record.time
    returned = entry.get("returned", 1 if kind == "alert_delivery" else None)
    searched = kind in {"search", "export"}
    return {
        "ID": row_id(record, query),
        "Name": _text(entry.get("user"))
        or ("(hot-list match)" if kind == "alert_delivery" else ""),
        "Org Name": acting.name if acting else slug,
        "Org Slug": slug,
        "Org Class": acting.kind if acting else "",
        "Requested By": requester,
        "Requester Jurisdiction": jurisdiction.jurisdiction if jurisdiction else "",
        "Total Networks Searched": str(len(releases) + len(denials)),
        "Total Devices Searched": _text(entry.get("devices_searched")),
        "Decision": ("denied" if not releases else "partly denied") if denials else "allowed",
        "Networks Released": ";".join(
            f"{owner}({','.join(str(i) for i in allowed_ids.get(owner) or ())})"
            if allowed_ids.get(owner)
            else owner
            for owner in releases
        ),
        "Networks Denied": ";".join(
            f"{owner}({','.join(rules)})" if rules else owner for owner, rules in denials.items()
        ),
        "Time Frame Start": _text(query.get("since"))
        or _area_bound(query, min)
        or (UNBOUNDED if searched else ""),
        "Time Frame End": _text(query.get("until"))
        or _area_bound(query, max)
        or (when if searched else ""),
        "License Plate": _text(query.get("plate")),
        "Reason": _text(entry.get("reason")),
        "Reason Flags": ";".join(str(f) for f in entry.get("reason_flags") or ()),
        "Offense Type": _text(query.get("offense_type") or entry.get("offense_type")),
        "Case #": _text(entry.get("case_number")),
        "Filters": _text(filters) if filters else "",
        "Search Time (UTC)": when,
        "Search Time (Local)": local_time(when, acting.zone if acting else "UTC"),
        "Search Type": "export"
        if kind == "export"
        else "alert"
        if kind == "alert_delivery"
        else _text(entry.get("kind")),
        "Purpose": _text(entry.get("purpose")),
        "Legal Basis": _legal_basis(entry, query),
        "Reads Returned": _text(returned),
        "Reads Returned Per Network": ";".join(
            f"{owner}={n}" for owner, n in sorted(by_owner.items())
        )
        if isinstance(by_owner, Mapping)
        else "",
        "Reads Matched": _text(entry.get("result_count")),
        "Result Digest": _text(entry.get("result_digest")),
        "Leaf Index": str(record.index),
        "Inclusion Proof": f"/v1/audit/proof/inclusion?index={record.index}&size={checkpoint_size}",
        "Checkpoint Size": str(checkpoint_size),
        "Policy Set": _text(entry.get("policy_set_hash")),
        "Agency Facts": LOGGED if logged else FROM_CATALOG,
    }


@dataclass(frozen=True)
class AuditExporter:
    """The accesses of a range of the log as rows, for one auditor or supervisor."""

    reader: AuditReader

    def rows(
        self,
        user: Principal,
        start: int = 0,
        end: int | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        where: ExportFilter | None = None,
    ) -> list[dict[str, str]]:
        """The rows of the accesses in ``[start, end)`` (logged in ``[since, until)``,
        passing ``where``) that ``user``'s agency is served in full or as an owner, in log
        order; `NotPermitted` where policy lets ``user`` read no entries, and `AuditUnavailable`
        (no rows) where the export cannot be logged first."""
        reader, rows, views = self._matching(user, start, end, since, until, where)
        self._log_export(user, reader, [int(r["Leaf Index"]) for r in rows], views,
                         total=len(rows))
        return rows

    def page(
        self,
        user: Principal,
        *,
        where: ExportFilter | None = None,
        offset: int = 0,
        limit: int = 50,
        start: int = 0,
        end: int | None = None,
    ) -> dict[str, Any]:
        """One page of the rows passing ``where`` between log indexes ``start`` and ``end``
        (as `rows` takes them), newest first: ``total`` (rows passing),
        ``offset``, ``limit`` and ``rows``. The page is logged (the rows served and the
        total told) before it is answered, even when it serves no row: a total is itself
        an answer about what the log holds (how often a case number was searched, say)."""
        reader, rows, views = self._matching(user, start, end, None, None, where)
        rows.reverse()
        served_rows = rows[offset : offset + limit]
        self._log_export(user, reader, [int(r["Leaf Index"]) for r in served_rows], views,
                         total=len(rows))
        return {
            "total": len(rows),
            "offset": offset,
            "limit": limit,
            "columns": list(COLUMNS),
            "rows": served_rows,
        }

    def _matching(
        self,
        user: Principal,
        start: int,
        end: int | None,
        since: datetime | None,
        until: datetime | None,
        where: ExportFilter | None,
    ) -> tuple[Reader, list[dict[str, str]], dict[int, View]]:
        low = _stamp(since) if since else ""
        high = _stamp(until) if until else ""
        reader = self.reader.reader(user)
        log = self.reader.log
        size = log.size()
        stop = size if end is None else min(end, size)
        agencies = {
            a.slug: _Agency(
                a.name,
                str(a.kind),
                agency_zone(a),
                ", ".join(p for p in (a.jurisdiction, a.home_state) if p),
            )
            for a in self.reader.catalog.agencies()
        }
        rows: list[dict[str, str]] = []
        views: dict[int, View] = {}
        for record in self._records(start, stop):
            if record.entry.get("type") not in EXPORTED_TYPES:
                continue
            when = str(record.entry.get("time") or record.time)
            if (low and when < low) or (high and when >= high):
                continue
            view, content = served(record.entry, reader)
            if view not in (View.FULL, View.OWNER):
                continue
            # built from what is served: an owner's row holds its own part of the result
            row = _row(record, content, checkpoint_size=size, agencies=agencies)
            if where is None or where.admits(row):
                rows.append(row)
                views[record.index] = view
        return reader, rows, views

    def _records(self, start: int, stop: int) -> Iterator[AuditRecord]:
        at = start
        while at < stop:
            page = self.reader.log.entries(at, min(MAX_PAGE, stop - at))
            if not page:
                return
            yield from page
            at += len(page)

    def _log_export(
        self, user: Principal, reader: Reader, indexes: list[int], views: Mapping[int, View],
        *, total: int | None = None,
    ) -> None:
        """Append the export's ``audit_read`` entry: the indexes served and the ``total``
        of rows passing the filters — logged even when no row is served, since an empty
        answer also tells what the log holds (that a case number was never searched)."""
        told = {} if total is None else {"total": total}
        try:
            self.reader.log.append(
                new_entry(
                    EntryType.AUDIT_READ,
                    user=user.username,
                    agency=reader.slug,
                    indexes=indexes,
                    views=[str(views[i]) for i in indexes],
                    export=True,
                    **told,
                )
            )
        except Exception as exc:  # fail closed: no record of the export, no rows
            raise AuditUnavailable(
                "the audit log could not record this export; no rows were served"
            ) from exc


def _stamp(when: datetime) -> str:
    """``when`` as the log writes times (UTC, RFC 3339, milliseconds), to compare."""
    return rfc3339(when)


def to_csv(rows: list[dict[str, str]]) -> str:
    """``rows`` as CSV with a header of `COLUMNS`; cells that would start a formula are
    quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = spreadsheet.dict_writer(out, COLUMNS)
    writer.writeheader()
    writer.writerows({k: spreadsheet.cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def to_ndjson(rows: list[dict[str, str]]) -> str:
    """``rows`` as newline-delimited JSON, one object per row."""
    return "".join(json.dumps(row, sort_keys=False) + "\n" for row in rows)


def to_xlsx(rows: list[dict[str, str]]) -> bytes:
    """``rows`` as an XLSX workbook (one sheet, a header of `COLUMNS`); every cell is a
    string, cells that would start a formula are quoted with a leading apostrophe, and
    control characters a workbook cannot hold become U+FFFD."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Audit export")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([_ILLEGAL_XLSX.sub("\ufffd", str(spreadsheet.cell(row[c])))
                      for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
