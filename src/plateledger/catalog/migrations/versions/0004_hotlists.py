"""Hot lists, entries, hits, denials and webhooks (plateledger.hotlist.schema).

Revision ID: 0004_hotlists
Revises: 0003_legal_holds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_hotlists"
down_revision: str | None = "0003_legal_holds"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "hotlist_denials",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("read_owner_id", sa.Integer(), nullable=False),
        sa.Column("list_owner_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("policy_ids", sa.String(length=500), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "read_owner_id", "list_owner_id", "category", "policy_ids"),
    )
    op.create_table(
        "hotlist_hits",
        sa.Column("hit_id", sa.String(length=36), nullable=False),
        sa.Column("read_id", sa.String(length=36), nullable=False),
        sa.Column("read_owner_id", sa.Integer(), nullable=False),
        sa.Column("read_ts", sa.BigInteger(), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("list_owner_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("match_kind", sa.String(length=16), nullable=False),
        sa.Column("plate_read", sa.String(length=10), nullable=False),
        sa.Column("plate_listed", sa.String(length=10), nullable=False),
        sa.Column("region_read", sa.String(length=8), nullable=False),
        sa.Column("region_listed", sa.String(length=8), nullable=False),
        sa.Column("region_mismatch", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("policy_ids", sa.String(length=1000), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=True),
        sa.Column("disposed_by", sa.String(length=64), nullable=True),
        sa.Column("disposed_at", sa.BigInteger(), nullable=True),
        sa.Column("disposition_note", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("hit_id"),
    )
    op.create_index("ix_hotlist_hits_expires", "hotlist_hits", ["expires_at"], unique=False)
    op.create_index(
        "ix_hotlist_hits_owner_created",
        "hotlist_hits",
        ["list_owner_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_hotlist_hits_read_id"), "hotlist_hits", ["read_id"], unique=False)
    op.create_table(
        "hotlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "name", name="uq_hotlists_owner_name"),
    )
    op.create_index(op.f("ix_hotlists_owner_id"), "hotlists", ["owner_id"], unique=False)
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("hit_id", sa.String(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_webhook_outbox_due", "webhook_outbox", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        op.f("ix_webhook_outbox_subscription_id"),
        "webhook_outbox",
        ["subscription_id"],
        unique=False,
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_webhook_subscriptions_owner_id"),
        "webhook_subscriptions",
        ["owner_id"],
        unique=False,
    )
    op.create_table(
        "hotlist_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=10), nullable=False),
        sa.Column("plate_key", sa.String(length=10), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["hotlists.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_hotlist_entries_list_id"), "hotlist_entries", ["list_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_hotlist_entries_list_id"), table_name="hotlist_entries")
    op.drop_table("hotlist_entries")
    op.drop_index(op.f("ix_webhook_subscriptions_owner_id"), table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
    op.drop_index(op.f("ix_webhook_outbox_subscription_id"), table_name="webhook_outbox")
    op.drop_index("ix_webhook_outbox_due", table_name="webhook_outbox")
    op.drop_table("webhook_outbox")
    op.drop_index(op.f("ix_hotlists_owner_id"), table_name="hotlists")
    op.drop_table("hotlists")
    op.drop_index(op.f("ix_hotlist_hits_read_id"), table_name="hotlist_hits")
    op.drop_index("ix_hotlist_hits_owner_created", table_name="hotlist_hits")
    op.drop_index("ix_hotlist_hits_expires", table_name="hotlist_hits")
    op.drop_table("hotlist_hits")
    op.drop_table("hotlist_denials")
