"""Agencies record their seat and their sharing preset (kept in order).

An agency's seat (``lat``, ``lon``) is what a radius preset measures from; its sharing
preset says how it shares by default, ``agreements`` (one-to-one agreements only) for
every agency that had none.

Revision ID: 0009_sharing_presets
Revises: 0008_hotlist_file_types
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_sharing_presets"
down_revision: str | None = "0008_hotlist_file_types"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True, comment="seat, latitude"))
        batch.add_column(sa.Column("lon", sa.Float(), nullable=True, comment="seat, longitude"))
        batch.add_column(sa.Column(
            "sharing_preset", sa.String(length=16), nullable=False,
            server_default="agreements",
            comment="how the agency shares by default (policy.PresetKind)",
        ))
        batch.add_column(sa.Column(
            "sharing_states", sa.JSON(), nullable=True,
            comment="the states a named_states preset admits",
        ))
        batch.add_column(sa.Column(
            "sharing_radius_km", sa.Float(), nullable=True,
            comment="the radius a radius preset admits",
        ))


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        for name in ("sharing_radius_km", "sharing_states", "sharing_preset", "lon", "lat"):
            batch.drop_column(name)
