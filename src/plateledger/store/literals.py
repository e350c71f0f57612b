"""ClickHouse literals: the one encoder of values into ClickHouse text.

`ReadStore.engine.command` takes no parameters (ALTER and INSERT … SELECT go through
it), so statements such as a purge's render their values as quoted literals (`string`,
`moment`, `strings`, `uuids`); every such value comes from typed Python objects (ints,
UUIDs, times, normalised plates), never from raw text. Query parameters for chDB, which
passes them through as is, are rendered in ClickHouse's text format (`encode_params`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def string(text: str) -> str:
    """A quoted ClickHouse string literal."""
    return "'" + _escaped(text).replace("'", "\\'") + "'"


def _moment_text(value: datetime) -> str:
    moment = value.astimezone(UTC) if value.tzinfo else value
    # the year padded by hand: strftime's %Y gives "1" for year 1 on Linux
    return f"{moment.year:04d}-" + moment.strftime("%m-%d %H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}"


def moment(value: datetime) -> str:
    """A UTC DateTime64(3) literal; requires an aware datetime."""
    if value.tzinfo is None:
        raise ValueError("a time without a time zone cannot be rendered")
    return f"toDateTime64({string(_moment_text(value))}, 3, 'UTC')"


def strings(values: Sequence[str]) -> str:
    """An array literal of quoted strings."""
    return "[" + ",".join(string(v) for v in values) + "]"


def uuids(values: Sequence[uuid.UUID]) -> str:
    """An array literal of UUIDs."""
    return "[" + ",".join(f"toUUID({string(str(v))})" for v in values) + "]"


def encode_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Render query parameters in ClickHouse's text format (chDB passes them through as is).

    Top-level strings go unquoted; inside arrays they are quoted and escaped.
    """
    return {name: _encode(value, nested=False) for name, value in (params or {}).items()}


def _encode(value: Any, *, nested: bool) -> str:
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v, nested=True) for v in value) + "]"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    text = _moment_text(value) if isinstance(value, datetime) else str(value)
    return string(text) if nested else _escaped(text)
