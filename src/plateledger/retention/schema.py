"""The legal-hold tables in the catalog database (SQLAlchemy 2 Core, own `metadata`).

SQLite by default, PostgreSQL by URL; the catalog's migrations fold these tables in.
Times are stored as RFC 3339 UTC text so both engines compare them the same way.
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text

metadata = MetaData()

legal_holds = Table(
    "legal_holds",
    metadata,
    Column("hold_id", String(36), primary_key=True),
    Column("case_number", String(64), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("approver", String(64), nullable=False, comment="supervisor's user id"),
    Column("owner_agency", Integer, nullable=False, index=True),
    Column("case_agency", Integer, nullable=False,
           comment="agency whose case it is: the only one whose searches reach its copies"),
    Column("plates", Text, nullable=False, comment="JSON list of normalised plates"),
    Column("since", String(32), nullable=True),
    Column("until", String(32), nullable=True),
    Column("read_ids", Text, nullable=False, comment="JSON list of read ids"),
    Column("expires_at", String(32), nullable=False),
    Column("placed_at", String(32), nullable=False),
    Column("placed_by", String(64), nullable=False),
    Column("placed_audit_index", Integer, nullable=True),
    Column("released_at", String(32), nullable=True),
    Column("released_by", String(64), nullable=True),
    Column("release_reason", Text, nullable=True),
    Column("released_audit_index", Integer, nullable=True),
)


def create_tables(engine: Engine) -> None:
    """Create the hold tables if they do not exist."""
    metadata.create_all(engine)
