"""Held copies in a case search: the reads a legal hold kept past their clock, reached by
an exact search made for that hold's case — under the search's decision and limits.

A hold keeps a read; it does not widen what a requester may see. So a held copy is added
only for an owner the decision allowed, only within that owner's lookback, never past its
result cap (counted with the live reads the search found), with images only where the
decision allows them, and only on the first page (held copies are few: a hold names one
case).
"""

from __future__ import annotations

from datetime import datetime

from plateledger.retention.holds import HoldStore
from plateledger.search.filters import Filters
from plateledger.search.held import held_scope, search_held
from plateledger.search.result import ReadOut, SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore

__all__ = ["with_held_copies"]


def with_held_copies(
    store: ReadStore, holds: HoldStore, case_number: str | None, plate: str,
    filters: Filters, scope: Scope, page: SearchPage, now: datetime,
) -> SearchPage:
    """``page`` of an exact search for ``plate``, with the held copies of the active holds
    of ``case_number`` that ``scope`` lets the search reach; ``page`` as it is without a
    case number or past the first page."""
    if not case_number or filters.offset:
        return page
    chosen = [h for h in holds.for_case(case_number, now) if h.owner_agency in scope.owners]
    if not chosen:
        return page
    shown: dict[int, int] = {}
    seen: set[tuple[int, object]] = set()
    for read in page.results:
        shown[read.owner_id] = shown.get(read.owner_id, 0) + 1
        seen.add((read.owner_id, read.read_id))
    extra: list[ReadOut] = []
    for hold in sorted(chosen, key=lambda h: h.hold_id):
        limit = scope.owners[hold.owner_agency]
        held = search_held(store, held_scope(store, [hold.hold_id]), filters, plate,
                           images=limit.images, since=limit.since)
        for read in held.results:
            if read.owner_id != hold.owner_agency or (read.owner_id, read.read_id) in seen:
                continue
            if limit.result_cap is not None and shown.get(read.owner_id, 0) >= limit.result_cap:
                break
            seen.add((read.owner_id, read.read_id))
            shown[read.owner_id] = shown.get(read.owner_id, 0) + 1
            extra.append(read.model_copy(update={"held_for": hold.hold_id}))
    return page.model_copy(update={"results": page.results + extra,
                                   "total": page.total + len(extra)})
