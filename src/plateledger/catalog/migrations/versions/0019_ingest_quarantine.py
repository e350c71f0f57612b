"""Ingest quarantine and camera aliases: items an authenticated client sent that could not
be accepted, kept with their reasons; which credentials keep them; vendor camera names
mapped to registered cameras.

Revision ID: 0019_ingest_quarantine
Revises: 0018_agency_reporting
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_ingest_quarantine"
down_revision: str | None = "0018_agency_reporting"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("credential_kind", sa.String(length=16), nullable=False),
        sa.Column("credential_prefix", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("camera_hint", sa.String(length=64), nullable=True),
        sa.Column("item_index", sa.Integer(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("read_id", sa.String(length=36), nullable=True),
        sa.Column("stored_version", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_quarantine")),
    )
    op.create_index(
        op.f("ix_ingest_quarantine_agency_id"), "ingest_quarantine", ["agency_id"], unique=False
    )
    op.create_table(
        "quarantine_credentials",
        sa.Column("credential_kind", sa.String(length=16), nullable=False),
        sa.Column("credential_prefix", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("enabled_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "credential_kind", "credential_prefix", name=op.f("pk_quarantine_credentials")
        ),
    )
    op.create_table(
        "camera_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("source_format", sa.String(length=32), nullable=False),
        sa.Column("external_key", sa.String(length=128), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_aliases")),
        sa.UniqueConstraint(
            "agency_id", "source_format", "external_key", name=op.f("uq_camera_aliases_agency_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("camera_aliases")
    op.drop_table("quarantine_credentials")
    op.drop_index(op.f("ix_ingest_quarantine_agency_id"), table_name="ingest_quarantine")
    op.drop_table("ingest_quarantine")
