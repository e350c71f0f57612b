"""Supervisor approvals of pattern-of-life searches, and each agency's search rules.

Two tables of the catalog database (migration ``0016_approvals``):

- ``search_approvals``: one row per pattern-of-life request that had to wait for a
  supervisor: who asked, for which plate and kind, under which legal basis, what it waits
  for, and how it ended (``pending`` → ``approved`` or ``refused``; ``approved`` → ``used``
  once; any open one ``expired`` after its time);
- ``agency_search_rules``: an agency's own rules for its users' searches: the format its
  case numbers must have (a regular expression) and whether every pattern-of-life search
  of its data, or by its users, waits for a supervisor.

Agency and user ids refer to the catalog's ``agencies`` and ``users`` (kept by id, as the
other packages' tables here are, outside the catalog's declarations). Every function takes
a ``Connection`` in the caller's transaction, so that a change and the audit entry that
records it commit together (`plateledger.access.approvals`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from plateledger.catalog.errors import CatalogError
from plateledger.catalog.models import NAMING
from plateledger.catalog.timeutil import UTCDateTime

__all__ = [
    "APPROVAL_STATUSES",
    "ApprovalRow",
    "SearchRules",
    "approval_row",
    "approvals_metadata",
    "check_case_pattern",
    "insert_approval",
    "list_approvals",
    "search_rules",
    "set_approval_status",
    "set_search_rules",
]

APPROVAL_STATUSES = ("pending", "approved", "refused", "used", "expired")
MAX_PATTERN = 200

approvals_metadata = MetaData(naming_convention=NAMING)

search_approvals = Table(
    "search_approvals",
    approvals_metadata,
    Column("id", String(36), primary_key=True),
    Column("agency_id", Integer, nullable=False, index=True),
    Column("user_id", Integer, nullable=False),
    Column("username", String(200), nullable=False),
    Column("requested_by_agency_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("plate", String(32), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("offense_type", String(8), nullable=True),
    Column("case_number", String(64), nullable=True),
    Column("reason", Text, nullable=False),
    Column("legal_basis", JSON, nullable=False),
    Column("waits_for", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("note", Text, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Column("request_index", Integer, nullable=True),
    Column("decision_index", Integer, nullable=True),
)

agency_search_rules = Table(
    "agency_search_rules",
    approvals_metadata,
    Column("agency_id", Integer, primary_key=True),
    Column("case_number_pattern", String(MAX_PATTERN), nullable=True),
    Column("locate_approval_required", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class ApprovalRow:
    """One approval as stored."""

    id: str
    agency_id: int
    user_id: int
    username: str
    requested_by_agency_id: int
    kind: str
    plate: str
    purpose: str
    offense_type: str | None
    case_number: str | None
    reason: str
    legal_basis: dict[str, str]
    waits_for: list[str]
    status: str
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str
    used_at: datetime | None
    request_index: int | None
    decision_index: int | None

    def status_at(self, now: datetime) -> str:
        """The status as of ``now``: an open approval past its time has expired."""
        if self.status in ("pending", "approved") and now >= self.expires_at:
            return "expired"
        return self.status


@dataclass(frozen=True)
class SearchRules:
    """An agency's rules for its users' searches (none set: no pattern, no approval)."""

    agency_id: int
    case_number_pattern: str | None = None
    locate_approval_required: bool = False
    updated_at: datetime | None = None


_NESTED = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")
"""A quantified group holding a quantifier (``(a+)+``): backtracking that can take
exponential time, refused in a case-number pattern."""


def check_case_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled case-number pattern, or `CatalogError` saying what is wrong with it."""
    if not pattern or len(pattern) > MAX_PATTERN:
        raise CatalogError(f"a case-number pattern has 1 to {MAX_PATTERN} characters")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise CatalogError(f"case-number pattern `{pattern}` is not a regular expression: "
                           f"{exc}") from None
    if _NESTED.search(pattern):
        raise CatalogError(f"case-number pattern `{pattern}` nests a repeat inside a repeat "
                           "(like `(a+)+`), which can take exponential time; write it flat")
    if compiled.fullmatch(""):
        raise CatalogError(f"case-number pattern `{pattern}` accepts an empty case number")
    return compiled


def _row(values: Any) -> ApprovalRow:
    return ApprovalRow(**{c.name: values[c.name] for c in search_approvals.columns})


def insert_approval(conn: Connection, **values: Any) -> ApprovalRow:
    conn.execute(insert(search_approvals).values(**values))
    found = approval_row(conn, str(values["id"]))
    assert found is not None
    return found


def approval_row(conn: Connection, approval_id: str) -> ApprovalRow | None:
    found = conn.execute(
        select(search_approvals).where(search_approvals.c.id == approval_id)
    ).mappings().first()
    return None if found is None else _row(found)


def list_approvals(
    conn: Connection, agency_id: int, *, user_id: int | None = None,
    statuses: tuple[str, ...] | None = None, limit: int = 200,
) -> list[ApprovalRow]:
    """The approvals of ``agency_id`` (of ``user_id`` only, if given), newest first."""
    query = select(search_approvals).where(search_approvals.c.agency_id == agency_id)
    if user_id is not None:
        query = query.where(search_approvals.c.user_id == user_id)
    if statuses is not None:
        query = query.where(search_approvals.c.status.in_(statuses))
    query = query.order_by(search_approvals.c.created_at.desc(),
                           search_approvals.c.id).limit(limit)
    return [_row(r) for r in conn.execute(query).mappings()]


def set_approval_status(
    conn: Connection, approval_id: str, *, expect: str, **values: Any
) -> bool:
    """Move the approval from status ``expect`` to ``values`` (with ``status``): true when
    this call made the change (a concurrent one finds it already moved)."""
    result = conn.execute(
        update(search_approvals)
        .where(search_approvals.c.id == approval_id, search_approvals.c.status == expect)
        .values(**values)
    )
    return result.rowcount == 1


def search_rules(conn: Connection, agency_id: int) -> SearchRules:
    found = conn.execute(
        select(agency_search_rules).where(agency_search_rules.c.agency_id == agency_id)
    ).mappings().first()
    if found is None:
        return SearchRules(agency_id)
    return SearchRules(agency_id, found["case_number_pattern"],
                       bool(found["locate_approval_required"]), found["updated_at"])


def set_search_rules(
    conn: Connection, agency_id: int, *, case_number_pattern: str | None,
    locate_approval_required: bool, now: datetime,
) -> SearchRules:
    """Replace the agency's rules; a pattern is checked (`check_case_pattern`) first."""
    if case_number_pattern is not None:
        check_case_pattern(case_number_pattern)
    values = {"case_number_pattern": case_number_pattern,
              "locate_approval_required": locate_approval_required, "updated_at": now}
    done = conn.execute(
        update(agency_search_rules).where(agency_search_rules.c.agency_id == agency_id)
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(agency_search_rules).values(agency_id=agency_id, **values))
    return search_rules(conn, agency_id)
