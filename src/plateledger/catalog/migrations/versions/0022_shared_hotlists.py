"""Hot lists shared across nodes: on the list owner's node, each list shared with a partner
node and how far the partner was brought (``hotlist_shares``); on the data owner's node,
each list a partner shared (``shared_hotlists``), its entries' ids on the owner's node
(``shared_hotlist_entries``) and the hits waiting for the list owner's node
(``shared_hit_outbox``). See `plateledger.catalog.shared_hotlists`.

Revision ID: 0022_shared_hotlists
Revises: 0021_federation_nodes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_shared_hotlists"
down_revision: str | None = "0021_federation_nodes"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "hotlist_shares",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("shared_at", sa.BigInteger(), nullable=False),
        sa.Column("unshared_at", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pushed_version", sa.Integer(), nullable=False),
        sa.Column("pushed_digest", sa.String(length=64), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlist_shares")),
        sa.UniqueConstraint("list_id", "node", name=op.f("uq_hotlist_shares_list_id")),
    )
    op.create_index(op.f("ix_hotlist_shares_list_id"), "hotlist_shares", ["list_id"])
    op.create_table(
        "shared_hit_outbox",
        sa.Column("hit_id", sa.String(length=36), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("shared_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=True),
        sa.Column("receipt_index", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("hit_id", name=op.f("pk_shared_hit_outbox")),
    )
    op.create_index("ix_shared_hit_outbox_due", "shared_hit_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "shared_hotlist_entries",
        sa.Column("entry_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shared_id", sa.Integer(), nullable=False),
        sa.Column("remote_entry_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_shared_hotlist_entries")),
    )
    op.create_index(
        op.f("ix_shared_hotlist_entries_shared_id"), "shared_hotlist_entries", ["shared_id"]
    )
    op.create_table(
        "shared_hotlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("remote_list_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("unshared_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_hotlists")),
        sa.UniqueConstraint("list_id", name=op.f("uq_shared_hotlists_list_id")),
        sa.UniqueConstraint("node", "remote_list_id", name=op.f("uq_shared_hotlists_node")),
    )


def downgrade() -> None:
    op.drop_table("shared_hotlists")
    op.drop_index(op.f("ix_shared_hotlist_entries_shared_id"), table_name="shared_hotlist_entries")
    op.drop_table("shared_hotlist_entries")
    op.drop_index("ix_shared_hit_outbox_due", table_name="shared_hit_outbox")
    op.drop_table("shared_hit_outbox")
    op.drop_index(op.f("ix_hotlist_shares_list_id"), table_name="hotlist_shares")
    op.drop_table("hotlist_shares")
