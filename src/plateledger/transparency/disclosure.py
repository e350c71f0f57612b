"""Counts of what a public summary leaves out, published so that none gives away a search.

The public summary of a search (`plateledger.audit.redaction`) tells its type, time,
agencies, purpose and result count, but not its offense type nor whether it named a case
number. Portals and reports count those two by window; counted freely, two answers around
one search (or a report of a day with one search) would give that search's offense type,
joined to its public entry by time and agency.

So they are counted by *cells*: one agency's entries of one type (its searches, its
exports, its image views) on one UTC day with one value; a figure of searches and one of
accesses share the search cells, so their difference is a sum of export and image-view
cells, each published alone. The later pages of a search are in no cell: they repeat
their search's offense and case number, so a cell of one search's pages would tell them.
A cell is published only

- when its UTC day has ended and lies wholly inside the window asked (so every window is
  a sum of whole cells, fixed once their day ends, and fixed whatever time zone the agency
  sets later),
- when it holds at least `SMALLEST_CELL` entries, and
- when the other entries of its type that day hold at least `SMALLEST_CELL` too
  (so a published count is never the whole day: five searches of one day all for 13B are
  not published, as each would be known to be 13B).

A figure is the sum of its published cells, so any two answers — of any windows, of any
reports, read at any times — differ by sums of such cells. What is left out is counted
together where the public can work that number out anyway (the window's entries less
those shown).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from plateledger.transparency.facts import Fact

__all__ = ["NOT_PUBLISHED", "SMALLEST_CELL", "Cells", "Window", "published_cells"]

SMALLEST_CELL = 5
"""The fewest entries a published cell holds, and the fewest its day's others hold."""

NOT_PUBLISHED = (f"not published (a cell under {SMALLEST_CELL}, or the rest of its day under "
                 f"{SMALLEST_CELL}, or a day not ended or not wholly in the window)")
"""The row of a figure that counts what its published cells leave out."""


@dataclass(frozen=True)
class Window:
    """The instants a figure covers, ``[since, until)``, and when it is made (``now``)."""

    since: datetime
    until: datetime
    now: datetime


@dataclass(frozen=True)
class Cells:
    """A window's published cells, summed by value, and how many facts they leave out."""

    shown: Counter[object]
    left_out: int


def _utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def published_cells(
    facts: Iterable[Fact], value: Callable[[Fact], Hashable], window: Window,
) -> Cells:
    """The facts of ``window`` counted by ``value`` in published cells (see the module);
    every other fact is left out."""
    cells: Counter[tuple[date, str, Hashable]] = Counter()
    days: Counter[tuple[date, str]] = Counter()
    left_out = 0
    for f in facts:
        if f.later_page:
            left_out += 1
            continue
        day = _utc_day(f.time)
        cells[(day, f.type, value(f))] += 1
        days[(day, f.type)] += 1
    shown: Counter[object] = Counter()
    for (day, kind, found), n in cells.items():
        begins, ends = _start(day), _start(day + timedelta(days=1))
        if (window.since <= begins and ends <= window.until and ends <= window.now
                and n >= SMALLEST_CELL and days[(day, kind)] - n >= SMALLEST_CELL):
            shown[found] += n
        else:
            left_out += n
    return Cells(shown, left_out)
