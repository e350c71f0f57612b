"""Counts of what a search's public summary leaves out (its offense type, whether it gave
a case number) single out no search, however a visitor picks and differences windows.

The visitor's tools are the public answers: a report over any days, a portal over any
number of days, each asked as often as wanted, beside the public log (which tells when
each search ran and for which agency)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from plateledger.audit import search_entry
from plateledger.transparency import Period, facts_of, generate, portal_figures
from plateledger.transparency.disclosure import NOT_PUBLISHED, SMALLEST_CELL
from plateledger.transparency.facts import Fact
from plateledger.transparency.reports import AgencyProfile

ZONE = "America/Los_Angeles"
NOW = datetime(2026, 3, 20, 19, 0, tzinfo=UTC)  # noon in Union City, 20 March
TODAY = date(2026, 3, 20)
PROFILE = AgencyProfile(
    slug="ucpd", name="Union City PD", kind="municipal", home_state="OR",
    law_packs=("OR",), purposes=("stolen_vehicle",), custodian="records@ucpd.example",
    retention_nonhit_days=60, retention_hit_days=None, case_number_required=False,
    sharing_preset="agreements", cameras=1, timezone=ZONE,
)
CLASSES = {"ucpd": "municipal"}


def _search(day: date, offense: str, case: bool, minute: int = 0) -> dict[str, Any]:
    entry = search_entry(
        user="ucpd.officer1", agency="ucpd", requested_by_agency="ucpd",
        purpose="stolen_vehicle", case_number="C-9" if case else None, kind="exact",
        query={"plate": "7ABC123"}, owners_allowed=["ucpd"], owners_denied=[],
        result_count=1, result_digest="d", policy_set_hash="h")
    entry["offense_type"] = offense
    at = datetime(day.year, day.month, day.day, 18, minute, tzinfo=UTC)  # 10:00 or 11:00 local
    entry["time"] = at.isoformat().replace("+00:00", "Z")
    return entry


def _facts(entries: list[dict[str, Any]]) -> list[Fact]:
    return facts_of(enumerate(entries))


def _oregon(facts: list[Fact], start: date, end: date,
            profile: AgencyProfile = PROFILE) -> tuple[dict[str, int], int]:
    report = generate("or-monthly", profile, facts, CLASSES, Period(start, end), now=NOW,
                      log_size=len(facts))
    figure = report.element("offense_types").figure
    assert figure is not None
    return {r[0]: r[1] for r in figure.rows}, report.element("with_case").value


def test_a_report_of_a_day_with_one_search_tells_nothing_of_it() -> None:
    """The public log shows one Union City search on 12 March; the reports of that day
    alone, and of the week around it, count it, and say neither its offense nor that it gave
    a case number."""
    day = date(2026, 3, 12)
    facts = _facts([_search(day, "13B", True)])
    for start, end in ((day, day), (day - timedelta(days=3), day + timedelta(days=3))):
        assert _oregon(facts, start, end) == ({NOT_PUBLISHED: 1}, 0)


def test_a_cell_of_five_among_five_others_is_published() -> None:
    """12 March: five searches for 13B with a case number, five for 240 without, one for
    09A. The report of 11–13 March publishes the 13B and 240 cells and the five with a
    case number; the 09A search is counted among those left out."""
    day = date(2026, 3, 12)
    entries = [_search(day, "13B", True, m) for m in range(SMALLEST_CELL)]
    entries += [_search(day, "240", False, 10 + m) for m in range(SMALLEST_CELL)]
    entries.append(_search(day, "09A", False, 30))
    offenses, with_case = _oregon(_facts(entries), day - timedelta(days=1),
                                  day + timedelta(days=1))
    assert offenses == {"13B": SMALLEST_CELL, "240": SMALLEST_CELL, NOT_PUBLISHED: 1}
    assert with_case == SMALLEST_CELL


def test_a_count_that_would_be_the_whole_day_is_not_published() -> None:
    """Five searches on a day, all for 13B with a case number: published, each of the five
    (the public log lists them) would be known to be for 13B. Not published; nor a count
    whose day's other searches are fewer than five."""
    day = date(2026, 3, 12)
    window = (day - timedelta(days=1), day + timedelta(days=1))
    alike = [_search(day, "13B", True, m) for m in range(SMALLEST_CELL)]
    assert _oregon(_facts(alike), *window) == ({NOT_PUBLISHED: SMALLEST_CELL}, 0)
    few_others = alike + [_search(day, "240", False, 30 + m) for m in range(4)]
    assert _oregon(_facts(few_others), *window) == ({NOT_PUBLISHED: 9}, 0)


def test_todays_searches_are_never_counted_by_offense_or_case_number() -> None:
    """A visitor refreshing today's report or the portal after each search sees only the
    count of searches left out grow."""
    entries = [_search(TODAY, "13B", True, m) for m in range(12)]
    entries += [_search(TODAY, "240", False, 20 + m) for m in range(12)]
    offenses, with_case = _oregon(_facts(entries), TODAY - timedelta(days=3), TODAY)
    assert offenses == {NOT_PUBLISHED: 24} and with_case == 0
    _, figures = portal_figures("ucpd", _facts(entries), CLASSES, NOW, 7, ZONE)
    by_name = {f.name: f for f in figures}
    assert list(by_name["searches_by_offense"].rows) == [(NOT_PUBLISHED, 24)]


@pytest.mark.parametrize("seed", range(4))
def test_differencing_any_two_windows_gives_only_published_cells(seed: int) -> None:
    """Over a month of searches (most days a few of each offense, some days many), every
    report over any run of the agency's days, and the portal over any number of days, is
    the sum of the cells of the UTC days it wholly holds — each cell as the report of that
    UTC day alone publishes it — and every count such a cell publishes is at least five,
    with at least five others that day: whatever two answers a visitor differences, the
    difference is a sum of such cells, never one search."""
    rng = random.Random(seed)
    first = date(2026, 2, 18)
    days = [first + timedelta(days=i) for i in range(31)]  # to today, 20 March
    entries = []
    for day in days:
        busy = rng.random() < 0.4
        for m in range(rng.randint(12, 30) if busy else rng.randint(0, 4)):
            entries.append(_search(day, rng.choice(["240", "240", "13B", "09A"]),
                                   rng.random() < 0.6, m))
    facts = _facts(entries)
    utc = replace(PROFILE, timezone="UTC")
    cell = {d: _oregon(facts, d, d, utc) for d in days}
    for offenses, with_case in cell.values():
        assert all(n >= SMALLEST_CELL for k, n in offenses.items() if k != NOT_PUBLISHED)
        assert with_case == 0 or with_case >= SMALLEST_CELL
    assert any(len(o) > 1 for o, _ in cell.values()), "some day publishes a cell"

    def summed(inside: list[date]) -> tuple[dict[str, int], int]:
        total: Counter[str] = Counter()
        for d in inside:
            total.update({k: n for k, n in cell[d][0].items() if k != NOT_PUBLISHED})
        return dict(total), sum(cell[d][1] for d in inside)

    for i in range(len(days)):
        for j in range(i, len(days), 3):
            offenses, with_case = _oregon(facts, days[i], days[j])
            # the agency's days run 07:00/08:00 UTC to the next: the UTC days wholly inside
            # are the second to the last, and the last only once it has ended
            inside = [d for d in days[i + 1:j + 1] if d < TODAY]
            published = {k: n for k, n in offenses.items() if k != NOT_PUBLISHED}
            assert (published, with_case) == summed(inside), (days[i], days[j])
    for n in (1, 2, 7, 30):
        _, figures = portal_figures("ucpd", facts, CLASSES, NOW, n, ZONE)
        rows = dict(next(f for f in figures if f.name == "searches_by_offense").rows)
        rows.pop(NOT_PUBLISHED, None)
        assert rows == summed([d for d in days[-n + 1:] if d < TODAY] if n > 1 else [])[0]
