"""Entries held for a fixed publication time (``audit_held``, plateledger.audit.schema):
withheld hot-list hits are recorded at once and appended to the log with their period's
others, at the period's end.

Revision ID: 0025_audit_held
Revises: 0024_hold_case_agency
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_audit_held"
down_revision: str | None = "0024_hold_case_agency"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_held",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=True),
        sa.Column("release_at", sa.BigInteger(), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_audit_held_release_at", "audit_held", ["release_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_held_release_at", table_name="audit_held")
    op.drop_table("audit_held")
