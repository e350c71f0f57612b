"""Roles as policy attributes, acting-for agencies and agency settings (kept in order):
the agency a user acts for, and revocation of written declarations.

Revision ID: 0005_roles_and_settings
Revises: 0004_hotlists
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_roles_and_settings"
down_revision: str | None = "0004_hotlists"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column(
            "acting_for_agency_id", sa.Integer(), nullable=True,
            comment="the agency this user acts for (set by an administrator)",
        ))
        batch.create_foreign_key(
            "fk_users_acting_for_agency_id_agencies", "agencies",
            ["acting_for_agency_id"], ["id"],
        )
    with op.batch_alter_table("declarations") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("declarations") as batch:
        batch.drop_column("revoked_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_acting_for_agency_id_agencies", type_="foreignkey")
        batch.drop_column("acting_for_agency_id")
