"""When reports fall due, at instants chosen by the test (an injected clock, no waiting)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from plateledger.transparency.reports import Period
from plateledger.transparency.schedule import due_reports, last_period


def at(y: int, m: int, d: int, h: int = 0) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def test_oregon_monthly_covers_the_month_before_and_is_posted_within_two_days() -> None:
    [due] = due_reports(["or-monthly"], at(2026, 3, 1, 0), set())
    assert due.period == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert due.deadline == date(2026, 3, 2)
    [jan] = due_reports(["or-monthly"], at(2026, 1, 1), set())
    assert jan.period == Period(date(2025, 12, 1), date(2025, 12, 31))
    assert jan.deadline == date(2026, 1, 2)


def test_oregon_quarterly_covers_the_quarter_before() -> None:
    for now, start, end in [
        (at(2026, 4, 1), date(2026, 1, 1), date(2026, 3, 31)),
        (at(2026, 6, 30), date(2026, 1, 1), date(2026, 3, 31)),
        (at(2026, 1, 1), date(2025, 10, 1), date(2025, 12, 31)),
        (at(2026, 11, 15), date(2026, 7, 1), date(2026, 9, 30)),
    ]:
        [due] = due_reports(["or-quarterly"], now, set())
        assert due.period == Period(start, end), now
        assert due.deadline == date.fromordinal(end.toordinal() + 2)


def test_annual_reports_cover_the_calendar_year_before() -> None:
    assert last_period("annual", date(2026, 1, 1)) == Period(date(2025, 1, 1),
                                                            date(2025, 12, 31))


def test_a_written_report_is_not_due_again_until_its_next_period() -> None:
    now = at(2026, 3, 1)
    first = due_reports(["or-monthly", "va-annual"], now, set())
    assert [d.code for d in first] == ["or-monthly", "va-annual"]  # earliest deadline first
    written = {d.file_stem for d in first}
    assert due_reports(["or-monthly", "va-annual"], at(2026, 3, 31, 23), written) == []
    [again] = due_reports(["or-monthly", "va-annual"], at(2026, 4, 1), written)
    assert again.period == Period(date(2026, 3, 1), date(2026, 3, 31))


def test_a_period_ends_at_midnight_in_the_agencys_zone() -> None:
    # 2026-03-01 03:00 UTC is still February 28 in Chicago and in Honolulu
    now = at(2026, 3, 1, 3)
    assert due_reports(["or-monthly"], now, set())[0].period.end == date(2026, 2, 28)
    assert due_reports(["or-monthly"], now, set(), "America/Chicago")[0].period.end \
        == date(2026, 1, 31)
    assert due_reports(["or-monthly"], at(2026, 3, 1, 6), set(), "America/Chicago")[0] \
        .period.end == date(2026, 2, 28)
    assert due_reports(["or-monthly"], at(2026, 3, 1, 6), set(), "Pacific/Honolulu")[0] \
        .period.end == date(2026, 1, 31)
