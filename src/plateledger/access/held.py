"""Held copies in a case search: the reads a legal hold kept past their clock, reached by
an exact search made by the hold's case agency for that hold's case — under the search's
decision and limits.

A case is its agency's: the number alone names none (numbers are short and guessable,
and two agencies may use the same one). So held copies reach a search only when every
agency it is made by and for (`asking_agencies`: the user's own agency, the agency the
user acts for where one is recorded, and the agency the search is requested by) is the
hold's case agency. A user acting for another agency, or a search made at another
agency's request, reaches none: acting for another agency never widens what a user sees.

A hold keeps a read; it does not widen what a requester may see. So a held copy is added
only for an owner the decision allowed, only within that owner's lookback, never past its
result cap (counted with the live reads the search found), with images only where the
decision allows them, and only on the first page (held copies are few: a hold names one
case).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from plateledger.catalog import Principal
from plateledger.retention.holds import HoldStore
from plateledger.search.filters import MAX_PAGE, Filters
from plateledger.search.held import held_scope, search_held
from plateledger.search.result import ReadOut, SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore

__all__ = ["asking_agencies", "held_read", "with_held_copies"]


def asking_agencies(user: Principal, requested_by_id: int) -> frozenset[int]:
    """Every agency a search of ``user`` is made by and for: the user's own, the one the
    user acts for (if recorded) and the one the search is requested by."""
    agencies = {user.agency_id, requested_by_id}
    if user.acting_for_id is not None:
        agencies.add(user.acting_for_id)
    return frozenset(agencies)


def with_held_copies(
    store: ReadStore, holds: HoldStore, case_number: str | None, plate: str,
    filters: Filters, scope: Scope, page: SearchPage, now: datetime, *,
    asking: frozenset[int],
) -> SearchPage:
    """``page`` of an exact search for ``plate``, with the held copies of the active holds
    of ``case_number`` that ``scope`` lets the search reach, where ``asking`` (the agencies
    the search is made by and for, `asking_agencies`) is the holds' case agency alone;
    ``page`` as it is otherwise, without a case number or past the first page."""
    if not case_number or filters.offset or len(asking) != 1:
        return page
    [case_agency] = asking
    chosen = [h for h in holds.for_case(case_number, now, case_agency=case_agency)
              if h.owner_agency in scope.owners]
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


def held_read(
    store: ReadStore, holds: HoldStore, case_number: str | None, asking: frozenset[int],
    now: datetime, read_id: uuid.UUID, plate: str, scope: Scope, empty: SearchPage,
) -> SearchPage:
    """The held copy ``read_id`` of ``plate`` as a page of at most one read, for an image
    view made for ``case_number`` by and for ``asking`` (`asking_agencies`): found exactly
    as a case search made by and for the same agencies would find it (`with_held_copies`,
    under ``scope``'s limits, owners whose images the decision allows only); ``empty``
    otherwise."""
    with_images = Scope({o: lim for o, lim in scope.owners.items() if lim.images})
    if with_images.is_empty():
        return empty
    page = with_held_copies(store, holds, case_number, plate, Filters(limit=MAX_PAGE),
                            with_images, empty, now, asking=asking)
    found = [r for r in page.results if r.read_id == read_id][:1]
    return empty.model_copy(update={"results": found, "total": len(found)})
