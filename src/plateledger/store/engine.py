"""The two ClickHouse engines behind the read store: embedded chDB, or a server over HTTP.

Both speak the same SQL; the store never knows which one it talks to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pyarrow as pa


class StoreError(RuntimeError):
    """The read store could not do what was asked (engine message attached)."""


class StoreLocked(StoreError):
    """Another process holds the data directory."""


class ClickHouseEngine(Protocol):
    """What the read store needs from an engine. Implementations are thread-safe."""

    database: str

    def command(self, sql: str) -> None:
        """Run a statement that returns nothing (DDL, ALTER, OPTIMIZE)."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a SELECT with ``{name:Type}`` parameters and return an Arrow table."""

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """Insert an Arrow table whose columns match ``table``'s by name; durable on return."""

    def close(self) -> None: ...
