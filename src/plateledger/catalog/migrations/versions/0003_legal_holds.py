"""Legal holds (plateledger.retention.schema).

Revision ID: 0003_legal_holds
Revises: 0002_audit_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_legal_holds"
down_revision: str | None = "0002_audit_log"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("hold_id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approver", sa.String(length=64), nullable=False, comment="supervisor's user id"),
        sa.Column("owner_agency", sa.Integer(), nullable=False),
        sa.Column("plates", sa.Text(), nullable=False, comment="JSON list of normalised plates"),
        sa.Column("since", sa.String(length=32), nullable=True),
        sa.Column("until", sa.String(length=32), nullable=True),
        sa.Column("read_ids", sa.Text(), nullable=False, comment="JSON list of read ids"),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.Column("placed_at", sa.String(length=32), nullable=False),
        sa.Column("placed_by", sa.String(length=64), nullable=False),
        sa.Column("placed_audit_index", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.String(length=32), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("released_audit_index", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("hold_id"),
    )
    op.create_index(
        op.f("ix_legal_holds_case_number"), "legal_holds", ["case_number"], unique=False
    )
    op.create_index(
        op.f("ix_legal_holds_owner_agency"), "legal_holds", ["owner_agency"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_legal_holds_owner_agency"), table_name="legal_holds")
    op.drop_index(op.f("ix_legal_holds_case_number"), table_name="legal_holds")
    op.drop_table("legal_holds")
