"""Exporting the audit log's accesses (searches and exports) as rows an auditor analyses:
the columns of the vendors' audit exports and what they leave out (the decision per
owner with its rule ids, the legal basis, the reads returned, the digest of what was
returned, the leaf index, the link to its inclusion proof, the checkpoint size covering
it).

The export serves exactly what `plateledger.access.audit_reads` serves: an entry is a row
only where the reader's agency is served its full view (`plateledger.audit.redaction`);
entries seen denied or public are left out, never summarised into a row. Which user may
export at all is the same policy decision (``view_audit``), and the export is logged as an
``audit_read`` entry naming the indexes before any row is returned.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plateledger.access.audit_reads import MAX_PAGE, AuditReader
from plateledger.access.errors import AuditUnavailable
from plateledger.audit import AuditRecord
from plateledger.audit.entry import EntryType, new_entry
from plateledger.audit.redaction import Reader, View, denied, released, served
from plateledger.catalog import Principal

__all__ = ["COLUMNS", "EXPORTED_TYPES", "MEDIA_TYPES", "AuditExporter", "to_csv", "to_ndjson"]

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXPORTED_TYPES = frozenset({"search", "export"})
"""The entry types an audit export lists (accesses that reveal reads by a search)."""

COLUMNS = (
    "ID", "Name", "Org Name", "Org Class", "Requested By", "Total Networks Searched",
    "Networks Released", "Networks Denied", "Time Frame Start", "Time Frame End",
    "License Plate", "Reason", "Reason Flags", "Offense Type", "Case #", "Filters",
    "Search Time (UTC)", "Search Type", "Purpose", "Legal Basis", "Reads Returned",
    "Reads Matched", "Result Digest", "Leaf Index", "Inclusion Proof", "Checkpoint Size",
    "Policy Set",
)
"""The columns of every format, in order."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _row(record: AuditRecord, entry: Mapping[str, Any], *, org_class: str,
         checkpoint_size: int) -> dict[str, str]:
    query = entry.get("query") if isinstance(entry.get("query"), Mapping) else {}
    assert isinstance(query, Mapping)
    filters = {k: v for k, v in query.items()
               if k not in {"plate", "since", "until", "legal_basis", "offense_type"}}
    denials = denied(entry)
    return {
        "ID": _text(entry.get("search_id")) or record.leaf_hash.hex(),
        "Name": _text(entry.get("user")),
        "Org Name": _text(entry.get("agency")),
        "Org Class": org_class,
        "Requested By": _text(entry.get("requested_by_agency")),
        "Total Networks Searched": str(len(released(entry)) + len(denials)),
        "Networks Released": ";".join(released(entry)),
        "Networks Denied": ";".join(f"{owner}({','.join(rules)})"
                                    for owner, rules in denials.items()),
        "Time Frame Start": _text(query.get("since")),
        "Time Frame End": _text(query.get("until")),
        "License Plate": _text(query.get("plate")),
        "Reason": _text(entry.get("reason")),
        "Reason Flags": ";".join(str(f) for f in entry.get("reason_flags") or ()),
        "Offense Type": _text(query.get("offense_type") or entry.get("offense_type")),
        "Case #": _text(entry.get("case_number")),
        "Filters": _text(filters) if filters else "",
        "Search Time (UTC)": _text(entry.get("time")) or record.time,
        "Search Type": _text(entry.get("kind")),
        "Purpose": _text(entry.get("purpose")),
        "Legal Basis": _text(query.get("legal_basis") or entry.get("legal_basis")),
        "Reads Returned": _text(entry.get("returned")),
        "Reads Matched": _text(entry.get("result_count")),
        "Result Digest": _text(entry.get("result_digest")),
        "Leaf Index": str(record.index),
        "Inclusion Proof": f"/v1/audit/proof/inclusion?index={record.index}"
                           f"&size={checkpoint_size}",
        "Checkpoint Size": str(checkpoint_size),
        "Policy Set": _text(entry.get("policy_set_hash")),
    }


@dataclass(frozen=True)
class AuditExporter:
    """The accesses of a range of the log as rows, for one auditor or supervisor."""

    reader: AuditReader

    def rows(self, user: Principal, start: int = 0, end: int | None = None, *,
             since: datetime | None = None, until: datetime | None = None,
             ) -> list[dict[str, str]]:
        """The rows of the searches and exports in ``[start, end)`` (and logged in
        ``[since, until)``) that ``user``'s agency is served in full; `NotPermitted` where
        policy lets ``user`` read no entries, and `AuditUnavailable` (no rows) where the
        export cannot be logged first."""
        low = _stamp(since) if since else ""
        high = _stamp(until) if until else ""
        reader = self.reader.reader(user)
        log = self.reader.log
        size = log.size()
        stop = size if end is None else min(end, size)
        classes = {a.slug: str(a.kind) for a in self.reader.catalog.agencies()}
        rows: list[dict[str, str]] = []
        for record in self._records(start, stop):
            if record.entry.get("type") not in EXPORTED_TYPES:
                continue
            when = str(record.entry.get("time") or record.time)
            if (low and when < low) or (high and when >= high):
                continue
            view, content = served(record.entry, reader)
            if view is not View.FULL:
                continue
            rows.append(_row(record, content, checkpoint_size=size,
                             org_class=classes.get(str(content.get("agency")), "")))
        self._log_export(user, reader, [int(r["Leaf Index"]) for r in rows])
        return rows

    def _records(self, start: int, stop: int) -> Iterator[AuditRecord]:
        at = start
        while at < stop:
            page = self.reader.log.entries(at, min(MAX_PAGE, stop - at))
            if not page:
                return
            yield from page
            at += len(page)

    def _log_export(self, user: Principal, reader: Reader, indexes: list[int]) -> None:
        if not indexes:
            return
        try:
            self.reader.log.append(new_entry(
                EntryType.AUDIT_READ, user=user.username, agency=reader.slug,
                indexes=indexes, views=[str(View.FULL)] * len(indexes), export=True,
            ))
        except Exception as exc:  # fail closed: no record of the export, no rows
            raise AuditUnavailable("the audit log could not record this export; no rows "
                                   "were served") from exc


def _stamp(when: datetime) -> str:
    """``when`` as the log writes times (UTC, RFC 3339, milliseconds), to compare."""
    moment = when if when.tzinfo else when.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (a reason may start with ``=``)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(rows: list[dict[str, str]]) -> str:
    """``rows`` as CSV with a header of `COLUMNS`; cells that would start a formula are
    quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def to_ndjson(rows: list[dict[str, str]]) -> str:
    """``rows`` as newline-delimited JSON, one object per row."""
    return "".join(json.dumps(row, sort_keys=False) + "\n" for row in rows)
