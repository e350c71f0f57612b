"""An agency's public figures, computed from the public facts of the audit log.

Every figure is a `Figure`: a name, a title, its columns and its rows, served as JSON and
as CSV alike. Days are the agency's: a window of days, and the day an entry counts on, are
taken in the agency's time zone (``zone``), as its statutory reports take them. Sharing
partners are derived from the decisions the log records (who was released data, who was
denied, by requester class), never from a list an agency types.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from plateledger.transparency.disclosure import (
    NOT_PUBLISHED,
    SMALLEST_CELL,
    Window,
    published_cells,
)
from plateledger.transparency.facts import Fact

__all__ = [
    "NOT_RECORDED",
    "Figure",
    "PortalCounts",
    "day_in",
    "local_days",
    "offense_rows",
    "portal_figures",
    "searches_by_officer",
    "window",
]

NOT_RECORDED = "not recorded"
"""Shown for a search that gave no offense type."""

UNKNOWN_CLASS = "unknown"


@dataclass(frozen=True)
class Figure:
    """One table of figures: ``rows`` of values under ``columns``."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
        }

    def column(self, name: str) -> list[Any]:
        at = self.columns.index(name)
        return [r[at] for r in self.rows]


@dataclass(frozen=True)
class PortalCounts:
    """The headline numbers of an agency's portal over its window."""

    searches: int
    reads_matched: int
    hits: int
    alerts_received: int
    alerts_withheld: int
    denials_to_others: int
    releases_to_others: int
    by_day: Mapping[date, tuple[int, int, int]] = field(default_factory=dict)


def local_days(now: datetime, days: int, zone: str = "UTC") -> tuple[date, date]:
    """The first and the last of the ``days`` days up to ``now`` (its day included), as
    days in ``zone``."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return today - timedelta(days=days - 1), today


def portal_window(now: datetime, days: int, zone: str = "UTC") -> Window:
    """The ``days`` days up to ``now`` (in ``zone``) as instants, made at ``now``."""
    first, last = local_days(now, days, zone)
    here = ZoneInfo(zone)
    return Window(datetime.combine(first, time(), here).astimezone(UTC),
                  datetime.combine(last + timedelta(days=1), time(), here).astimezone(UTC), now)


def day_in(fact: Fact, zone: str = "UTC") -> date:
    """The day of ``fact``'s time in ``zone``."""
    return fact.time.astimezone(ZoneInfo(zone)).date()


def window(facts: Iterable[Fact], now: datetime, days: int, zone: str = "UTC") -> list[Fact]:
    """The facts of the ``days`` days up to ``now`` (the day of ``now`` included), each
    on its day in ``zone``."""
    first, last = local_days(now, days, zone)
    return [f for f in facts if first <= day_in(f, zone) <= last]


def _sorted(counter: Mapping[Any, int]) -> list[tuple[Any, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))


def portal_figures(
    slug: str,
    facts: Sequence[Fact],
    classes: Mapping[str, str],
    now: datetime,
    days: int,
    zone: str = "UTC",
) -> tuple[PortalCounts, list[Figure]]:
    """The figures of agency ``slug`` over the ``days`` days up to ``now``, days taken in
    the agency's ``zone``.

    ``classes`` is each agency's requester class (``municipal``, ``federal`` …) as the
    catalog records it. A search counts for the agency that ran it; a hit for the agency
    whose read matched a list; an alert for the agency whose list it went to. A decision
    on this agency's data counts for the agency the access was made for (`Fact.requester`:
    a federal unit's request through a local officer is the unit's)."""
    facts = window(facts, now, days, zone)
    first, _ = local_days(now, days, zone)
    by_day: dict[date, list[int]] = {first + timedelta(days=i): [0, 0, 0] for i in range(days)}
    purposes: dict[str, list[int]] = {}
    mine: list[Fact] = []
    partners: dict[str, list[int]] = {}
    classes_seen: dict[str, list[int]] = {}
    withheld: Counter[str] = Counter()
    sources: Counter[tuple[str, str]] = Counter()
    searches = reads = hits = alerts = 0
    for f in facts:
        if f.type == "search" and f.agency == slug and not f.later_page:
            searches += 1
            reads += f.result_count or 0
            by_day[day_in(f, zone)][0] += 1
            row = purposes.setdefault(f.purpose or NOT_RECORDED, [0, 0])
            row[0] += 1
            row[1] += f.result_count or 0
            mine.append(f)
        if f.type == "alert_delivery":
            if f.owner == slug:
                hits += 1
                by_day[day_in(f, zone)][1] += 1
            if f.list_owner == slug:
                alerts += 1
                by_day[day_in(f, zone)][2] += 1
                sources[(f.list_class or NOT_RECORDED, f.category or NOT_RECORDED)] += 1
        if f.type == "alert_withheld" and f.owner == slug:
            withheld[f.list_class or NOT_RECORDED] += 1
        asking = f.requester
        if f.access and f.type != "alert_withheld" and asking and asking != slug:
            outcome = 0 if slug in f.released else 1 if slug in f.denied else None
            if outcome is not None:
                partners.setdefault(asking, [0, 0])[outcome] += 1
                klass = classes.get(asking, UNKNOWN_CLASS)
                classes_seen.setdefault(klass, [0, 0])[outcome] += 1
    counts = PortalCounts(
        searches=searches,
        reads_matched=reads,
        hits=hits,
        alerts_received=alerts,
        alerts_withheld=sum(withheld.values()),
        denials_to_others=sum(v[1] for v in partners.values()),
        releases_to_others=sum(v[0] for v in partners.values()),
        by_day={d: (v[0], v[1], v[2]) for d, v in by_day.items()},
    )
    figures = [
        Figure(
            "searches_by_day",
            "Searches, hits and alerts by day",
            ("day", "searches", "hits", "alerts"),
            tuple((d.isoformat(), *v) for d, v in sorted(by_day.items())),
        ),
        Figure(
            "searches_by_purpose",
            "Searches by stated purpose",
            ("purpose", "searches", "reads_matched"),
            tuple(
                (p, v[0], v[1])
                for p, v in sorted(purposes.items(), key=lambda kv: (-kv[1][0], kv[0]))
            ),
        ),
        Figure(
            "searches_by_offense",
            "Searches by offense type (NIBRS): a type counted on the (UTC) days that have "
            f"ended with at least {SMALLEST_CELL} searches of it and {SMALLEST_CELL} of others",
            ("offense_type", "searches"),
            offense_rows(mine, portal_window(now, days, zone)),
        ),
        Figure(
            "partners",
            "Agencies that asked for this agency's data, as decided",
            ("agency", "class", "released", "denied"),
            tuple(
                (a, classes.get(a, UNKNOWN_CLASS), v[0], v[1]) for a, v in sorted(partners.items())
            ),
        ),
        Figure(
            "decisions_by_requester_class",
            "Accesses to this agency's data by requester class",
            ("requester_class", "released", "denied"),
            tuple((k, v[0], v[1]) for k, v in sorted(classes_seen.items())),
        ),
        Figure(
            "withheld_alerts_by_list_class",
            "Hot-list hits on this agency's reads withheld from other agencies' lists",
            ("list_class", "withheld"),
            tuple(_sorted(withheld)),
        ),
        Figure(
            "hotlist_sources",
            "Alerts received by hot-list source",
            ("list_class", "category", "alerts"),
            tuple((k[0], k[1], n) for k, n in _sorted(sources)),
        ),
    ]
    return counts, figures


def offense_rows(searches: Sequence[Fact], window: Window) -> tuple[Any, ...]:
    """``searches`` by offense type, in published cells (`plateledger.transparency.
    disclosure`), with a last row counting the searches the cells leave out."""
    cells = published_cells(searches, lambda f: f.offense_type or NOT_RECORDED, window)
    rows: list[tuple[Any, int]] = _sorted(cells.shown)
    if cells.left_out:
        rows.append((NOT_PUBLISHED, cells.left_out))
    return tuple(rows)


def searches_by_officer(
    slug: str,
    facts: Sequence[Fact],
    officers: Mapping[int, str],
    now: datetime,
    days: int,
    zone: str = "UTC",
) -> Figure:
    """The searches agency ``slug``'s own users ran over the ``days`` days up to ``now``, by
    the user the log names (``officers``: entry index to user). Only for an agency that
    publishes its officers' names; a search by another agency's user is never counted."""
    runs: dict[str, list[int]] = {}
    for f in window(facts, now, days, zone):
        if f.type == "search" and f.agency == slug and not f.later_page:
            row = runs.setdefault(officers.get(f.index, NOT_RECORDED), [0, 0])
            row[0] += 1
            row[1] += f.result_count or 0
    return Figure(
        "searches_by_officer",
        "Searches by officer",
        ("officer", "searches", "reads_matched"),
        tuple((o, v[0], v[1]) for o, v in sorted(runs.items(), key=lambda kv: (-kv[1][0], kv[0]))),
    )
