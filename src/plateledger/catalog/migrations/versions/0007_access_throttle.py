"""Login back-off per username and source address (kept in order).

Revision ID: 0007_access_throttle
Revises: 0006_hotlist_screening
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_access_throttle"
down_revision: str | None = "0006_hotlist_screening"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username", "source", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
