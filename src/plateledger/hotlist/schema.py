"""The hot-list tables (SQLAlchemy Core), on their own ``metadata``.

They live in the catalog database (SQLite by default, PostgreSQL by URL); the catalog's
migrations fold them in, and ``create_tables`` makes them for tests and first runs.
Every time is stored as integer milliseconds since the epoch (UTC): the same on every
engine, and compared as numbers.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

hotlists = Table(
    "hotlists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, nullable=False, index=True),
    Column("name", String(128), nullable=False),
    Column("source", String(128), nullable=False),
    Column("category", String(32), nullable=False),
    Column("description", String(500), nullable=False, default="", server_default=""),
    Column("file_type", String(40), nullable=False, default="unspecified",
           server_default="unspecified"),
    Column("entry_count", Integer, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("owner_id", "name", name="uq_hotlists_owner_name"),
    sqlite_autoincrement=True,
)

hotlist_entries = Table(
    "hotlist_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_id", Integer, ForeignKey("hotlists.id"), nullable=False, index=True),
    Column("plate", String(10), nullable=False),
    Column("plate_key", String(10), nullable=False),
    Column("region", String(8), nullable=False, default=""),
    Column("reason", String(500), nullable=False, default=""),
    Column("case_number", String(64), nullable=False, default=""),
    Column("expires_at", BigInteger, nullable=True),
    Column("priority", Integer, nullable=False, default=0),
    Column("category", String(32), nullable=False, default="", server_default=""),
    Column("file_type", String(40), nullable=False, default="", server_default=""),
    sqlite_autoincrement=True,  # ids are never reused: a stale index must not find another entry
)

hotlist_hits = Table(
    "hotlist_hits",
    metadata,
    Column("hit_id", String(36), primary_key=True),
    Column("read_id", String(36), nullable=False, index=True),
    Column("read_owner_id", Integer, nullable=False),
    Column("read_ts", BigInteger, nullable=False),
    Column("camera_id", String(64), nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("list_id", Integer, nullable=False),
    Column("list_owner_id", Integer, nullable=False),
    Column("entry_id", Integer, nullable=False),
    Column("category", String(32), nullable=False),
    Column("match_kind", String(16), nullable=False),
    Column("plate_read", String(10), nullable=False),
    Column("plate_listed", String(10), nullable=False),
    Column("region_read", String(8), nullable=False),
    Column("region_listed", String(8), nullable=False),
    Column("region_mismatch", Boolean, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("case_number", String(64), nullable=False),
    Column("policy_ids", String(1000), nullable=False),
    Column("audit_index", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("disposition", String(16), nullable=True),
    Column("action", String(24), nullable=True),
    Column("disposed_by", String(64), nullable=True),
    Column("disposed_at", BigInteger, nullable=True),
    Column("disposition_note", String(1000), nullable=True),
    Index("ix_hotlist_hits_owner_created", "list_owner_id", "created_at"),
    Index("ix_hotlist_hits_expires", "expires_at"),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, nullable=False, index=True),
    Column("url", String(2048), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("description", String(200), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
    sqlite_autoincrement=True,
)

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, nullable=False, index=True),
    Column("owner_id", Integer, nullable=False),
    Column("hit_id", String(36), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("last_error", String(500), nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger, nullable=True),
    Index("ix_webhook_outbox_due", "status", "next_attempt_at"),
    sqlite_autoincrement=True,
)


def create_tables(engine: Engine) -> None:
    """Create the hot-list tables that do not exist yet."""
    metadata.create_all(engine)
