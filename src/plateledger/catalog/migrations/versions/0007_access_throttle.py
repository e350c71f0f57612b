"""Login and denial throttling state (kept in order).

Revision ID: 0007_access_throttle
Revises: 0006_hotlist_screening
"""

from __future__ import annotations

revision = "0007_access_throttle"
down_revision: str | None = "0006_hotlist_screening"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
