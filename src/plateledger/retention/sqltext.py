"""ClickHouse literals for the statements a purge runs.

`ReadStore.engine.command` takes no parameters (ALTER and INSERT … SELECT go through it),
so the purge renders its values as escaped literals; every value here comes from typed
Python objects (ints, UUIDs, times, normalised plates), never from raw text.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime


def string(text: str) -> str:
    """A quoted ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def moment(value: datetime) -> str:
    """A UTC DateTime64(3) literal; requires an aware datetime."""
    if value.tzinfo is None:
        raise ValueError("a time without a time zone cannot be rendered")
    text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return f"toDateTime64({string(text)}, 3, 'UTC')"


def strings(values: Sequence[str]) -> str:
    return "[" + ",".join(string(v) for v in values) + "]"


def uuids(values: Sequence[uuid.UUID]) -> str:
    return "[" + ",".join(f"toUUID({string(str(v))})" for v in values) + "]"
