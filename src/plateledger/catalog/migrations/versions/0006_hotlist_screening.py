"""Hot-list sources and entries screened; alert context (kept in order).

Revision ID: 0006_hotlist_screening
Revises: 0005_roles_and_settings
"""

from __future__ import annotations

revision = "0006_hotlist_screening"
down_revision: str | None = "0005_roles_and_settings"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
