"""Hot lists and their entries carry their source file type (kept in order).

A list records the type of the file it was taken from (an NCIC file, a state's list or an
agency's own); lists imported before are ``unspecified``. An entry may name its own file
type; empty: its list's. Law packs decide on the file type at import and at delivery.

Revision ID: 0008_hotlist_file_types
Revises: 0007_access_throttle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_hotlist_file_types"
down_revision: str | None = "0007_access_throttle"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("hotlists") as batch:
        batch.add_column(
            sa.Column("file_type", sa.String(length=40), nullable=False,
                      server_default="unspecified")
        )
    with op.batch_alter_table("hotlist_entries") as batch:
        batch.add_column(
            sa.Column("file_type", sa.String(length=40), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("hotlist_entries") as batch:
        batch.drop_column("file_type")
    with op.batch_alter_table("hotlists") as batch:
        batch.drop_column("file_type")
