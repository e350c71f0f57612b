"""Reading the audit log: the public summaries anyone may read, and the fuller views an
agency's auditors and supervisors are served — each entry by the reader's part in it
(`plateledger.audit.redaction`: the whole entry, the denied owner's view, or the public
summary; the tables in docs/audit.md).

Whether a user may read more than the summaries is decided by the policy set
(``view_audit``, the role pack's ``role-view-audit``); what they read is itself logged —
an ``audit_read`` entry naming the indexes and views — before anything is served. No
entry, no content (`AuditUnavailable`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from plateledger.access.errors import AuditUnavailable, NotPermitted, NotVisible
from plateledger.access.policy_source import PolicySource, decide_own
from plateledger.audit import AuditLog, AuditRecord, redact
from plateledger.audit.entry import EntryType, new_entry
from plateledger.audit.redaction import Partnership, Reader, View, served, view_of
from plateledger.audit.tiles import Tile, entry_bundle
from plateledger.catalog import Catalog, Principal
from plateledger.policy import Action

__all__ = ["MAX_PAGE", "AuditReader", "entries_page", "entry_item"]

MAX_PAGE = 1000


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def entry_item(record: AuditRecord, reader: Reader | None) -> dict[str, Any]:
    """One entry: index, base64 leaf hash and public summary; with ``reader``, also the
    ``view`` it is served and (where that is not the public one) its content in ``entry``."""
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
    log: AuditLog,
    start: int,
    limit: int,
    *,
    reader: Reader | None = None,
) -> dict[str, Any]:
    """A page of entries from ``start`` (``limit`` capped at `MAX_PAGE`), each as
    `entry_item` makes it for ``reader`` (``None``: the public summaries only)."""
    records = log.entries(start, min(limit, MAX_PAGE))
    items = [entry_item(record, reader) for record in records]
    return {"start": start, "limit": limit, "size": log.size(), "entries": items}


@dataclass(frozen=True)
class AuditReader:
    """The audit log as one user may read it beyond the public summaries."""

    log: AuditLog
    catalog: Catalog
    policy: PolicySource

    def reader(self, user: Principal) -> Reader:
        """The agency ``user`` reads for, once policy lets them read entries at all;
        `NotPermitted` (naming the rule) otherwise."""
        verdict = decide_own(self.policy, user, Action.VIEW_AUDIT)
        if not verdict.allowed:
            raise NotPermitted(
                "forbidden",
                "full entries are for auditors and supervisors: " + "; ".join(verdict.reasons),
            )
        agency = self.catalog.agency(user.agency_id)
        return Reader("" if agency is None else str(agency.slug), user.agency_id,
                      self._partners(user.agency_id))

    def _partners(self, agency_id: int) -> tuple[Partnership, ...]:
        """The agreements by which ``agency_id`` shares (or shared) its data, each with
        its recipient's slug and when it applied: those whose searches of its data it
        denied by default are its to audit. (An agreement the other way — the searcher
        sharing its own data with this agency — gives this one no part in the searcher's
        searches.)"""
        found: list[Partnership] = []
        for a in self.catalog.agreements(owner_id=agency_id):
            recipient = self.catalog.agency(a.recipient_id)
            if recipient is None:
                continue
            ends = [t for t in (a.revoked_at, a.expires_at) if t is not None]
            found.append(Partnership(str(recipient.slug), max(a.created_at, a.starts_at),
                                     min(ends) if ends else None))
        return tuple(found)

    def page(self, user: Principal, start: int, limit: int) -> dict[str, Any]:
        """A page of entries, each served by ``user``'s agency's part in it; the reading
        is logged first."""
        reader = self.reader(user)
        page = entries_page(self.log, start, limit, reader=reader)
        self._log_reading(user, reader, page["entries"])
        return page

    def entry(self, user: Principal, index: int) -> dict[str, Any]:
        """One entry, served by ``user``'s agency's part in it; the reading is logged
        first. `NotVisible` for an index past the log's end."""
        reader = self.reader(user)
        if index >= self.log.size():
            raise NotVisible("no_such_entry", f"there is no entry {index}")
        item = entry_item(self.log.entry(index), reader)
        self._log_reading(user, reader, [item])
        return item

    def bundle(self, user: Principal, tile: Tile) -> bytes:
        """The C2SP tlog-tiles entry bundle ``tile`` (each entry's stored bytes, which hash
        to its leaf), served only when ``user``'s agency is served *every* entry in it in
        full: a bundle cannot be redacted — an entry with a field left out would no
        longer hash to its leaf — so it is served whole or not at all. `NotVisible` for a
        bundle the log has not filled; `NotPermitted` when any entry in it is another
        agency's to read. The reading is logged first (``audit_read``; ``bundle``: its
        ``N``)."""
        reader = self.reader(user)
        size = self.log.size()
        if tile.level != -1 or tile.first + tile.width > size:
            raise NotVisible(
                "no_such_bundle", f"`{tile.path()}` is beyond the log of {size} entries"
            )
        records = self.log.entries(tile.first, tile.width)
        if any(view_of(r.entry, reader) is not View.FULL for r in records):
            raise NotPermitted(
                "bundle_not_full",
                "this bundle holds entries your agency is not served in full; a bundle "
                "holds each entry's exact bytes and cannot be redacted: read the entries "
                "one by one at /v1/audit/entries?full=1, and the leaf hashes at "
                "/v1/audit/tlog/tile/0/...",
            )
        data = entry_bundle(r.entry_bytes for r in records)
        self._log_reading(
            user,
            reader,
            [{"index": r.index, "view": str(View.FULL), "entry": r.entry} for r in records],
            bundle=tile.index,
        )
        return data

    def _log_reading(
        self, user: Principal, reader: Reader, items: list[dict[str, Any]], **fields: Any
    ) -> None:
        """Append the ``audit_read`` entry of what is about to be served, or refuse."""
        shown = [item for item in items if "entry" in item]
        if not shown:
            return
        try:
            self.log.append(
                new_entry(
                    EntryType.AUDIT_READ,
                    user=user.username,
                    agency=reader.slug,
                    indexes=[item["index"] for item in shown],
                    views=[item["view"] for item in shown],
                    **fields,
                )
            )
        except Exception as exc:  # fail closed: no record of the reading, no content
            raise AuditUnavailable(
                "the audit log could not record this reading; no entry was served"
            ) from exc
