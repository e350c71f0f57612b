"""Cases: an agency's case numbers, each with a title and a status (open or closed).

One table of the catalog database (migration ``0017_cases``): ``cases``, one row per case
number within an agency (unique together), with who opened it and when, and who closed it
and when. The searches of a case are not stored here: they are the audit log's search and
export entries of the agency's users that name the case number
(`plateledger.access.cases`).

Agency ids refer to the catalog's ``agencies`` (kept by id, as the other packages' tables
here are). Every function takes a ``Connection`` in the caller's transaction, so that a
change and the audit entry that records it commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    update,
)

from plateledger.catalog.models import NAMING
from plateledger.catalog.timeutil import UTCDateTime

__all__ = [
    "CASE_STATUSES",
    "CaseRow",
    "case_row",
    "cases_metadata",
    "insert_case",
    "list_cases",
    "set_case_status",
]

CASE_STATUSES = ("open", "closed")

cases_metadata = MetaData(naming_convention=NAMING)

cases = Table(
    "cases",
    cases_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, nullable=False, index=True),
    Column("number", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("status", String(8), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_by", String(200), nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    UniqueConstraint("agency_id", "number"),
)


@dataclass(frozen=True)
class CaseRow:
    """One case as stored."""

    id: int
    agency_id: int
    number: str
    title: str
    status: str
    opened_by: str
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None

    def values(self) -> dict[str, Any]:
        """What a change entry records of the case (before and after)."""
        return {
            "number": self.number, "title": self.title, "status": self.status,
            "opened_by": self.opened_by, "created_at": self.created_at.isoformat(),
            "closed_by": self.closed_by,
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
        }


def _row(values: Any) -> CaseRow:
    return CaseRow(**{c.name: values[c.name] for c in cases.columns})


def case_row(conn: Connection, agency_id: int, number: str) -> CaseRow | None:
    """The case ``number`` of ``agency_id``; ``None`` when the agency has no such case."""
    found = conn.execute(
        select(cases).where(cases.c.agency_id == agency_id, cases.c.number == number)
    ).mappings().first()
    return None if found is None else _row(found)


def insert_case(conn: Connection, *, agency_id: int, number: str, title: str,
                opened_by: str, now: datetime) -> CaseRow:
    """Open case ``number`` of ``agency_id`` (the caller checks that it is new)."""
    conn.execute(insert(cases).values(
        agency_id=agency_id, number=number, title=title, status="open",
        opened_by=opened_by, created_at=now, closed_by=None, closed_at=None,
    ))
    found = case_row(conn, agency_id, number)
    assert found is not None
    return found


def list_cases(conn: Connection, agency_id: int, *, status: str | None = None,
               limit: int = 500) -> list[CaseRow]:
    """The cases of ``agency_id`` (of ``status`` only, if given), newest first."""
    query = select(cases).where(cases.c.agency_id == agency_id)
    if status is not None:
        query = query.where(cases.c.status == status)
    query = query.order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(limit)
    return [_row(r) for r in conn.execute(query).mappings()]


def set_case_status(conn: Connection, case: CaseRow, *, status: str, by: str,
                    now: datetime) -> CaseRow | None:
    """Move ``case`` to ``status`` (closing records who and when; reopening clears them);
    ``None`` when a concurrent change moved it first."""
    closing = status == "closed"
    done = conn.execute(
        update(cases)
        .where(cases.c.id == case.id, cases.c.status == case.status)
        .values(status=status, closed_by=by if closing else None,
                closed_at=now if closing else None)
    )
    if done.rowcount != 1:
        return None
    return case_row(conn, case.agency_id, case.number)
