"""Agency reporting settings: the agency's time zone and whether its public page names officers.

Revision ID: 0018_agency_reporting
Revises: 0017_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_agency_reporting"
down_revision: str | None = "0017_cases"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column(
            "timezone", sa.String(length=64), nullable=True,
            comment="IANA time zone of the agency's reports; null: derived from home_state",
        ))
        batch.add_column(sa.Column(
            "portal_officer_names", sa.Boolean(), nullable=False,
            server_default=sa.false(),
            comment="whether the public page names the officers who searched",
        ))


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("portal_officer_names")
        batch.drop_column("timezone")
