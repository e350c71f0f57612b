"""Ingest URLs: ingest-only credentials carried in a URL, scoped to one camera.

Revision ID: 0015_ingest_urls
Revises: 0010_zones
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_ingest_urls"
down_revision: str | None = "0010_zones"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_ingest_urls_agency_id_agencies")),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.camera_id"],
                                name=op.f("fk_ingest_urls_camera_id_cameras")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_urls")),
        sa.UniqueConstraint("prefix", name=op.f("uq_ingest_urls_prefix")),
    )
    op.create_index(op.f("ix_ingest_urls_agency_id"), "ingest_urls", ["agency_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ingest_urls_agency_id"), table_name="ingest_urls")
    op.drop_table("ingest_urls")
