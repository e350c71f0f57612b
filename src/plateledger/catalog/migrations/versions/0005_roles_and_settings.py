"""Roles as policy attributes, acting-for agencies and agency settings (kept in order).

Revision ID: 0005_roles_and_settings
Revises: 0004_hotlists
"""

from __future__ import annotations

revision = "0005_roles_and_settings"
down_revision: str | None = "0004_hotlists"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
