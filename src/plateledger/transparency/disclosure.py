"""Counts of what a public summary leaves out, published so that none singles out a search.

The public summary of a search (`plateledger.audit.redaction`) tells its type, time,
agencies, purpose and result count, but not its offense type nor whether it named a case
number. Portals and reports count those two by window; counted freely, two answers around
one search (or a report of a day with one search) would give that search's offense type,
joined to its public entry by time and agency.

So they are counted by *cells*: the searches (or accesses) of one agency on one local day
with one value. A cell is published only when its day has ended (today's cells still
change, search by search) and it holds at least `SMALLEST_CELL`; a window's figure is the
sum of its published cells. Every answer is then a function of published cells alone, each
fixed once its day ends and each of at least five searches: differencing two windows gives
sums of such cells, never one search. What is left out is said, as a count only where the
public can already work it out (the window's searches less those shown).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from plateledger.transparency.facts import Fact

__all__ = ["NOT_PUBLISHED", "SMALLEST_CELL", "Cells", "closed_before", "published_cells"]

SMALLEST_CELL = 5
"""The fewest searches a published cell (one agency, one local day, one value) holds."""

NOT_PUBLISHED = f"not published (fewer than {SMALLEST_CELL} in a day, or the day has not ended)"
"""The row of a figure that counts what its published cells leave out."""

V = TypeVar("V", bound=Hashable)


@dataclass(frozen=True)
class Cells:
    """A window's published cells, summed by value, and how many facts they leave out."""

    shown: Counter[object]
    left_out: int


def closed_before(now: datetime, zone: str) -> date:
    """The first local day in ``zone`` that has not ended at ``now``: today."""
    return now.astimezone(ZoneInfo(zone)).date()


def published_cells(
    facts: Iterable[Fact], value: Callable[[Fact], V], *, zone: str, today: date,
) -> Cells:
    """``facts`` counted by ``value`` in cells of one local day (in ``zone``): a cell of a
    day before ``today`` holding at least `SMALLEST_CELL` facts is shown, every other fact
    is left out."""
    cells: Counter[tuple[date, V]] = Counter(
        (f.time.astimezone(ZoneInfo(zone)).date(), value(f)) for f in facts)
    shown: Counter[object] = Counter()
    left_out = 0
    for (day, key), n in cells.items():
        if day < today and n >= SMALLEST_CELL:
            shown[key] += n
        else:
            left_out += n
    return Cells(shown, left_out)
