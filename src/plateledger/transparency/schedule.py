"""When each statutory report is due, and which are due but not yet written.

Oregon's monthly and quarterly audits are posted within two days of the end of their
period (Or. SB 1516, 2026); the annual reports cover the calendar year before. Periods are
the agency's: a month has ended when it has ended in the agency's time zone. The clock is
an argument: the due-date logic is tested at chosen instants, never by waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from plateledger.transparency.reports import REPORTS, Period

__all__ = ["POSTING_DAYS", "Due", "due_reports", "last_period", "local_day"]

POSTING_DAYS = 2
"""Or. SB 1516 (2026): audits posted within two days of the end of the period."""


@dataclass(frozen=True)
class Due:
    code: str
    period: Period
    deadline: date
    """The last day on which the report may be posted."""

    @property
    def file_stem(self) -> str:
        return f"{self.code}_{self.period.start.isoformat()}_{self.period.end.isoformat()}"


def _month_before(day: date) -> Period:
    end = day.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def _quarter_before(day: date) -> Period:
    first_month = ((day.month - 1) // 3) * 3 + 1
    quarter_start = day.replace(month=first_month, day=1)
    end = quarter_start - timedelta(days=1)
    start = end.replace(month=((end.month - 1) // 3) * 3 + 1, day=1)
    return Period(start, end)


def _year_before(day: date) -> Period:
    return Period(date(day.year - 1, 1, 1), date(day.year - 1, 12, 31))


def last_period(cadence: str, today: date) -> Period:
    """The latest whole period of ``cadence`` that ended before ``today``."""
    if cadence == "monthly":
        return _month_before(today)
    if cadence == "quarterly":
        return _quarter_before(today)
    if cadence == "annual":
        return _year_before(today)
    raise ValueError(f"unknown cadence `{cadence}`")


def deadline(cadence: str, period: Period) -> date:
    if cadence in ("monthly", "quarterly"):
        return period.end + timedelta(days=POSTING_DAYS)
    return period.end + timedelta(days=90)


def local_day(now: datetime, zone: str = "UTC") -> date:
    """The day it is at ``now`` in ``zone``."""
    return now.astimezone(ZoneInfo(zone)).date()


def due_reports(codes: list[str], now: datetime, written: set[str],
                zone: str = "UTC") -> list[Due]:
    """The reports of ``codes`` whose latest period has ended by ``now`` in ``zone`` and
    whose file stem is not in ``written``, earliest deadline first."""
    found = []
    today = local_day(now, zone)
    for code in codes:
        kind = REPORTS[code]
        period = last_period(kind.cadence, today)
        due = Due(code, period, deadline(kind.cadence, period))
        if due.file_stem not in written:
            found.append(due)
    return sorted(found, key=lambda d: (d.deadline, d.code))
