"""Cross-witnessing: a partner node's audit-log verifier key and witness cosigner key, and
this server's state as a witness of other logs (the latest checkpoint cosigned and the
last shown per log, and each refused inconsistent checkpoint, kept as evidence), which
were files under ``<data-dir>/witness/state``.

Revision ID: 0023_node_log_keys
Revises: 0022_shared_hotlists
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_node_log_keys"
down_revision: str | None = "0022_shared_hotlists"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("nodes", sa.Column("log_key", sa.String(length=300), nullable=True))
    op.add_column("nodes", sa.Column("witness_key", sa.String(length=300), nullable=True))
    op.create_table(
        "witness_logs",
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.Column("cosigned_at", sa.String(length=40), nullable=True),
        sa.Column("seen_size", sa.BigInteger(), nullable=True),
        sa.Column("seen_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("origin"),
    )
    op.create_table(
        "witness_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("held_size", sa.BigInteger(), nullable=False),
        sa.Column("held_checkpoint", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("seen_at", sa.String(length=40), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("origin", "size", "root_hash"),
    )


def downgrade() -> None:
    op.drop_table("witness_conflicts")
    op.drop_table("witness_logs")
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("witness_key")
        batch.drop_column("log_key")
