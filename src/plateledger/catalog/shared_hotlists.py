"""Hot lists shared across nodes (migration ``0022_shared_hotlists``).

On the list owner's node:

- ``hotlist_shares``: one of its lists shared with one partner node, when, whether since
  unshared, and how far the partner has been brought (the version last claimed, the one
  last accepted by the partner, and the digest of what it accepted).

On the data owner's node (the partner):

- ``shared_hotlists``: a list a partner node shared, attributed to that node and the remote
  agency, with the local ``hotlists`` row its entries are matched under (none once
  unshared) and the last version accepted;
- ``shared_hotlist_entries``: for each local entry of a shared list, the entry's id on the
  list owner's node (a hit names the owner's own entry);
- ``shared_hit_outbox``: each hit on a shared list that policy let the list owner receive,
  kept until the list owner's node acknowledges it (delivery is retried; the list owner
  takes a hit id once).

Every time is integer milliseconds since the epoch (UTC), as in the hot-list tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from plateledger.catalog.models import NAMING

__all__ = [
    "hotlist_shares",
    "shared_hit_outbox",
    "shared_hotlist_entries",
    "shared_hotlists",
    "shared_hotlists_metadata",
]

shared_hotlists_metadata = MetaData(naming_convention=NAMING)

hotlist_shares = Table(
    "hotlist_shares",
    shared_hotlists_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_id", Integer, nullable=False, index=True),
    Column("owner_id", Integer, nullable=False),
    Column("node", String(64), nullable=False),
    Column("shared_at", BigInteger, nullable=False),
    Column("unshared_at", BigInteger, nullable=True),
    Column("version", Integer, nullable=False),
    Column("pushed_version", Integer, nullable=False),
    Column("pushed_digest", String(64), nullable=False),
    Column("last_error", String(300), nullable=False),
    UniqueConstraint("list_id", "node"),
)

shared_hotlists = Table(
    "shared_hotlists",
    shared_hotlists_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("node", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("remote_list_id", Integer, nullable=False),
    Column("agency", String(64), nullable=False),
    Column("list_id", Integer, nullable=True, unique=True),
    Column("version", Integer, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("unshared_at", BigInteger, nullable=True),
    UniqueConstraint("node", "remote_list_id"),
)

shared_hotlist_entries = Table(
    "shared_hotlist_entries",
    shared_hotlists_metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=False),
    Column("shared_id", Integer, nullable=False, index=True),
    Column("remote_entry_id", Integer, nullable=False),
)

shared_hit_outbox = Table(
    "shared_hit_outbox",
    shared_hotlists_metadata,
    Column("hit_id", String(36), primary_key=True),
    Column("node", String(64), nullable=False),
    Column("shared_id", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("last_error", String(300), nullable=False),
    Column("audit_index", BigInteger, nullable=True),
    Column("receipt_index", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger, nullable=True),
    Index("ix_shared_hit_outbox_due", "status", "next_attempt_at"),
)
