"""Cases: an agency's case numbers, each with a title and a status.

Revision ID: 0017_cases
Revises: 0016_approvals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_cases"
down_revision: str | None = "0016_approvals"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("agency_id", "number", name=op.f("uq_cases_agency_id")),
    )
    op.create_index(op.f("ix_cases_agency_id"), "cases", ["agency_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_agency_id"), table_name="cases")
    op.drop_table("cases")
