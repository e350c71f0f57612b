"""Collection zones: places where an agency collects no reads (kept in order).

Revision ID: 0010_zones
Revises: 0009_sharing_presets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_zones"
down_revision: str | None = "0009_sharing_presets"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=32), nullable=False, comment="kind of place"),
        sa.Column("centre_lat", sa.Float(), nullable=True),
        sa.Column("centre_lon", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("polygon", sa.JSON(), nullable=True,
                  comment="[[lat, lon], ...]; null for a circle"),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_zones_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
    )
    op.create_index(op.f("ix_zones_agency_id"), "zones", ["agency_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_zones_agency_id"), table_name="zones")
    op.drop_table("zones")
