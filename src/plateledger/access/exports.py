"""Exports: a search's reads as a CSV or NDJSON file.

An export is its own policy action (``export``): an agreement that lets a partner search
does not by itself let it take the reads away. It is decided per owner, logged as an
``export`` entry before any byte is rendered, and capped at `MAX_EXPORT_ROWS` reads.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field, field_validator

from plateledger import spreadsheet
from plateledger.access.federated import local_owners
from plateledger.access.gate import AccessGate
from plateledger.access.searches import (
    Asking,
    SearchCreate,
    SearchResponse,
    decide_run_log,
    held_asking,
    run_kind,
)
from plateledger.catalog import Principal
from plateledger.retention.holds import HoldStore
from plateledger.search import SearchPage
from plateledger.search.filters import MAX_PAGE
from plateledger.search.result import ReadOut
from plateledger.search.scope import Scope
from plateledger.store import ReadStore

__all__ = [
    "MAX_EXPORT_ROWS", "MEDIA_TYPES", "ExportCreate", "ExportFile", "collect",
    "collect_logged", "export", "file_of",
]

MAX_EXPORT_ROWS = 10_000
COLUMNS = tuple(ReadOut.model_fields)
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


class ExportCreate(SearchCreate):
    """A search (its ``params.limit`` is the number of reads to export) and a file format."""

    format: Literal["csv", "ndjson"] = "csv"
    max_rows: int = Field(default=MAX_EXPORT_ROWS, ge=1, le=MAX_EXPORT_ROWS,
                          description="export at most this many reads, in the search's "
                          "order (newest first; a timeline oldest first; a stakeout's or "
                          "convoy's plate by plate as ranked)")

    @field_validator("page_token")
    @classmethod
    def _not_paged(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("an export holds every page of its search (up to `max_rows`): "
                             "leave out `page_token`")
        return value


@dataclass(frozen=True)
class ExportFile:
    """The rendered file and what its answer says about it."""

    content: bytes
    media_type: str
    filename: str
    page: SearchResponse

    def owners_denied(self) -> str:
        """``owner:rule,rule;…`` for each owner that denied the export, this node's and
        the partners' (their ids in this catalog)."""
        here = [(o.owner_id, o.policy_ids) for o in self.page.owners if not o.allowed]
        there = [(o.owner_id or 0, o.policy_ids) for o in self.page.remote_owners or []
                 if o.status == "denied"]
        return ";".join(f"{owner}:{','.join(rules)}" for owner, rules in here + there)

    def owners_unavailable(self) -> str:
        """``owner:code;…`` for each partner's owner whose node did not answer (down, too
        slow) or was not asked (an export of its kind is of this node's reads only)."""
        return ";".join(f"{o.owner_id}:{o.code}" for o in self.page.remote_owners or []
                        if o.status == "unavailable")


def collect(
    store: ReadStore, holds: HoldStore | None, body: ExportCreate, scope: Scope, now: datetime,
    *, asking: frozenset[int],
) -> SearchPage:
    """Page through the search until ``max_rows`` reads or the end (``asking``: as for
    `run_kind`): the live reads newest first, then the copies the case's legal holds kept
    (which an exact search made for a case adds to its first page). Pages follow the live
    reads alone, so a held copy never takes a live read's place."""
    if body.kind in BY_PLATE:
        return collect_by_plate(store, holds, body, scope, now, asking=asking)
    live: list[ReadOut] = []
    held: list[ReadOut] = []
    start = body.params.offset
    first: SearchPage | None = None
    while len(live) + len(held) < body.max_rows:
        size = min(MAX_PAGE, body.max_rows - len(live) - len(held))
        params = body.params.model_copy(update={"limit": size, "offset": start + len(live)})
        page = run_kind(store, holds, body.model_copy(update={"params": params}), scope, now,
                        asking=asking)
        first = first or page
        got = [r for r in page.results if r.held_for is None]
        live.extend(got)
        held.extend(r for r in page.results if r.held_for is not None)
        if len(got) < size:
            break
    total = first.total if first is not None else 0
    return SearchPage(kind=body.kind, total=total, limit=body.max_rows, offset=start,
                      results=(live + held)[: body.max_rows])


BY_PLATE = ("stakeout", "convoy")
"""Kinds whose pages are of plates (a stakeout's, a convoy's companions), each page's rows
being its plates' reads, at most `MAX_PAGE` of them."""

def collect_by_plate(
    store: ReadStore, holds: HoldStore | None, body: ExportCreate, scope: Scope, now: datetime,
    *, asking: frozenset[int],
) -> SearchPage:
    """`collect` of a kind `BY_PLATE`: pages of plates from ``params.offset`` (a plate's
    rank), each plate's reads whole, until ``max_rows`` reads or the last plate. A page
    whose rows reach `MAX_PAGE` is asked again with half its plates; a single plate with
    more reads than that is read on in pages of its reads (``rows_offset``) until they end.
    After a page that fits, the next asks for twice as many plates again."""
    rows: list[ReadOut] = []
    start = offset = body.params.offset
    plates = MAX_PAGE
    first: SearchPage | None = None

    def page_of(limit: int, rows_offset: int = 0) -> SearchPage:
        params = body.params.model_copy(update={"limit": limit, "offset": offset})
        return run_kind(store, holds, body.model_copy(update={"params": params}), scope, now,
                        asking=asking, rows_offset=rows_offset)

    while len(rows) < body.max_rows:
        page = page_of(plates)
        first = first or page
        if len(page.results) >= MAX_PAGE and plates > 1:
            plates //= 2  # this page's plates' reads were cut: ask for fewer
            continue
        taken = len(rows)
        rows.extend(page.results)
        more = page
        while len(more.results) >= MAX_PAGE and len(rows) < body.max_rows:
            # one plate with more reads than a page holds: its next reads
            more = page_of(1, rows_offset=len(rows) - taken)
            rows.extend(more.results)
        offset += len(page.candidates)
        if len(page.candidates) < plates:
            break
        plates = min(MAX_PAGE, plates * 2)
    total = first.total if first is not None else 0
    return SearchPage(kind=body.kind, total=total, limit=body.max_rows, offset=start,
                      results=rows[: body.max_rows])


def render(page: SearchPage, fmt: str) -> bytes:
    rows = [r.model_dump(mode="json") for r in page.results]
    if fmt == "ndjson":
        return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows).encode()
    text = io.StringIO()
    writer = spreadsheet.dict_writer(text, COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet.cell(v) for k, v in row.items()})
    return text.getvalue().encode()


def export(
    gate: AccessGate, store: ReadStore, holds: HoldStore | None, body: ExportCreate,
    user: Principal, *, now: datetime | None = None, asking: Asking | None = None,
) -> ExportFile:
    """Decide ``export`` per owner, collect the reads of the allowed owners, log an
    ``export`` entry, then render the file. Of this node's own owners only (``asking``;
    by default `local_owners`): the agencies a partner node answers for hold no reads here
    (`plateledger.access.federated_exports` sends the export to their nodes)."""
    page = collect_logged(gate, store, holds, body, user, now=now, asking=asking)
    return file_of(page, body.format)


def collect_logged(
    gate: AccessGate, store: ReadStore, holds: HoldStore | None, body: ExportCreate,
    user: Principal, *, now: datetime | None = None, asking: Asking | None = None,
) -> SearchResponse:
    """The export decided, collected and logged (an ``export`` entry), not yet rendered.

    Each owner decides ``export`` and, for any kind but an exact lookup (which an
    agreement's ``export`` alone covers), the search of the export's kind: such an export
    runs that search over the owner's reads, so it reaches only the owners that would let
    the search run (their agreements' kinds, their packs' tracking rules), under the
    narrower of the two limits."""
    now = now or datetime.now(UTC)
    return decide_run_log(gate, body, user, action="export", entry_type="export", now=now,
                          also=() if body.kind == "exact" else (f"search_{body.kind}",),
                          execute=lambda scope: collect(store, holds, body, scope, now,
                                                        asking=held_asking(gate, body, user)),
                          asking=asking or Asking(owners=local_owners(gate)))


def file_of(page: SearchResponse, fmt: str) -> ExportFile:
    """``page`` rendered as ``fmt``, named after its entry."""
    return ExportFile(
        content=render(page, fmt), media_type=MEDIA_TYPES[fmt],
        filename=f"plateledger-export-{page.audit_index}.{fmt}", page=page,
    )
