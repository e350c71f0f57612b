"""Hot-list sources and entries screened; alert context (kept in order).

A list gets a description and an entry its own category, both screened with the list's
source and name and the entry's reason before an alert is decided. Withheld hits are
``alert_withheld`` audit entries now, so the table that only counted them goes.

Revision ID: 0006_hotlist_screening
Revises: 0005_roles_and_settings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_hotlist_screening"
down_revision: str | None = "0005_roles_and_settings"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("hotlists") as batch:
        batch.add_column(
            sa.Column("description", sa.String(length=500), nullable=False, server_default="")
        )
    with op.batch_alter_table("hotlist_entries") as batch:
        batch.add_column(
            sa.Column("category", sa.String(length=32), nullable=False, server_default="")
        )
    op.drop_table("hotlist_denials")


def downgrade() -> None:
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
    with op.batch_alter_table("hotlist_entries") as batch:
        batch.drop_column("category")
    with op.batch_alter_table("hotlists") as batch:
        batch.drop_column("description")
