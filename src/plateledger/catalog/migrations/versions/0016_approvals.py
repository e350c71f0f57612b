"""Supervisor approvals of pattern-of-life searches, and agencies' search rules (the
case-number format, whether pattern-of-life searches wait for a supervisor).

Revision ID: 0016_approvals
Revises: 0015_ingest_urls
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_approvals"
down_revision: str | None = "0015_ingest_urls"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "search_approvals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("requested_by_agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("plate", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("offense_type", sa.String(length=8), nullable=True),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.JSON(), nullable=False),
        sa.Column("waits_for", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("request_index", sa.Integer(), nullable=True),
        sa.Column("decision_index", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_approvals")),
    )
    op.create_index(op.f("ix_search_approvals_agency_id"), "search_approvals", ["agency_id"],
                    unique=False)
    op.create_table(
        "agency_search_rules",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_number_pattern", sa.String(length=200), nullable=True),
        sa.Column("locate_approval_required", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_agency_search_rules")),
    )


def downgrade() -> None:
    op.drop_table("agency_search_rules")
    op.drop_index(op.f("ix_search_approvals_agency_id"), table_name="search_approvals")
    op.drop_table("search_approvals")
