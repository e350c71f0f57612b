"""Federation: partner nodes (name, URL, Ed25519 public key and key id, the agencies each
answers for, revocation) and the nonces of signed node requests seen within the window.

Revision ID: 0021_federation_nodes
Revises: 0019_ingest_quarantine
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_federation_nodes"
down_revision: str | None = "0019_ingest_quarantine"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nodes")),
        sa.UniqueConstraint("key_id", name=op.f("uq_nodes_key_id")),
        sa.UniqueConstraint("name", name=op.f("uq_nodes_name")),
    )
    op.create_table(
        "node_nonces",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "nonce", name=op.f("pk_node_nonces")),
    )
    op.create_index(op.f("ix_node_nonces_seen_at"), "node_nonces", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_node_nonces_seen_at"), table_name="node_nonces")
    op.drop_table("node_nonces")
    op.drop_table("nodes")
