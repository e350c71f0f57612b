"""Legal holds record their case agency (whose case it is, the only agency whose searches
reach the hold's copies); a hold placed before has its owner as case agency.

Revision ID: 0024_hold_case_agency
Revises: 0023_node_log_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_hold_case_agency"
down_revision: str | None = "0023_node_log_keys"
branch_labels: str | None = None
depends_on: str | None = None

COMMENT = "agency whose case it is: the only one whose searches reach its copies"


def upgrade() -> None:
    with op.batch_alter_table("legal_holds") as batch:
        batch.add_column(sa.Column("case_agency", sa.Integer(), nullable=True,
                                   comment=COMMENT))
    op.execute("UPDATE legal_holds SET case_agency = owner_agency")
    with op.batch_alter_table("legal_holds") as batch:
        batch.alter_column("case_agency", existing_type=sa.Integer(), nullable=False,
                           existing_comment=COMMENT)


def downgrade() -> None:
    with op.batch_alter_table("legal_holds") as batch:
        batch.drop_column("case_agency")
