"""Storage of the audit log: SQLAlchemy Core tables on their own ``metadata``.

- ``audit_entries``: one row per entry: its index, canonical bytes, leaf hash, time.
- ``audit_nodes``: the hash of every complete perfect subtree above the leaves, keyed
  by its in-order ``node_id`` (see ``compact.node_id``), so a proof is one lookup of
  O(log n) keys. Leaves (level 0) are read from ``audit_entries``.
- ``audit_head``: one row (``id = 1``): the tree size and root after the last append,
  and a counter every append bumps first so that writers queue on that row.
- ``witness_logs`` and ``witness_conflicts``: this server as a witness of other logs
  (`plateledger.audit.witness.CatalogWitnessState`): per log, the latest checkpoint it
  cosigned and the last one it was shown; and each checkpoint it refused as
  inconsistent with the one it held, kept as evidence.
- ``audit_held``: entries written now and appended at a fixed later time
  (`AuditLog.append_and_hold`, `AuditLog.release_held`): a withheld hot-list hit is
  recorded at once but published with the period's others, so that the log's public
  order and times do not tell when it happened.

The catalog's migrations include this ``metadata``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# On SQLite only INTEGER PRIMARY KEY is the rowid: the fastest lookup there is
_Key = BigInteger().with_variant(Integer(), "sqlite")

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("log_index", _Key, primary_key=True, autoincrement=False),
    Column("entry", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("logged_at", String(40), nullable=False),
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column("node_id", _Key, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("appends", BigInteger, nullable=False),
    Column("updated_at", String(40), nullable=False),
)

HEAD_ID = 1

witness_logs = Table(
    "witness_logs",
    metadata,
    Column("origin", String(300), primary_key=True),
    Column("size", BigInteger, nullable=False),  # the latest cosigned (0: none yet)
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("checkpoint", Text, nullable=True),  # that checkpoint as signed by the log
    Column("cosigned_at", String(40), nullable=True),
    Column("seen_size", BigInteger, nullable=True),  # the last checkpoint shown, signed
    Column("seen_at", String(40), nullable=True),
)

witness_conflicts = Table(
    "witness_conflicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("origin", String(300), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("checkpoint", Text, nullable=False),  # as signed by the log
    Column("request", Text, nullable=False),  # the whole add-checkpoint body
    Column("held_size", BigInteger, nullable=False),
    Column("held_checkpoint", Text, nullable=True),
    Column("reason", String(40), nullable=False),
    Column("seen_at", String(40), nullable=False),
    Column("audit_index", BigInteger, nullable=True),
    UniqueConstraint("origin", "size", "root_hash"),
)

audit_held = Table(
    "audit_held",
    metadata,
    Column("id", _Key, primary_key=True, autoincrement=True),
    Column("release_at", BigInteger, nullable=False, index=True),  # ms since the epoch
    Column("entry", LargeBinary, nullable=False),  # canonical JSON, without time or index
)
