"""Bounds of the numbers a request names, so that none reaches a database or the audit
log that cannot hold it: a 422 naming the parameter, never a 500.

A row id past SQLite's and PostgreSQL's 64-bit integers (2**63 - 1) raised an overflow
from the driver; an offset past 2**53 - 1 cannot be written in an audit entry (canonical
JSON, RFC 8785, keeps integers exact only up to there)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ROW_ID = 2**63 - 1
MAX_OFFSET = 2**53 - 1

RowId = Annotated[int, Path(le=MAX_ROW_ID, description="a row id")]
"""A path parameter naming a catalog row (a list, an entry, an agreement, an item …)."""

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")]
"""A paging offset that is recorded in the audit entry of the page."""
