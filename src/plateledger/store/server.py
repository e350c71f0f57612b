"""A ClickHouse server or cluster over HTTP (clickhouse-connect), by URL."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlparse

import clickhouse_connect
import pyarrow as pa

from plateledger.store.engine import StoreError


class ServerEngine:
    """``clickhouse://user:pass@host:8123/db`` — one HTTP client per thread."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("clickhouse", "clickhouses", "http", "https"):
            raise StoreError(f"store url `{url}` must start with clickhouse://")
        self._kwargs: dict[str, Any] = {
            "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 8123,
            "username": unquote(parsed.username or "default"),
            "password": unquote(parsed.password or ""),
            "secure": parsed.scheme in ("clickhouses", "https"),
        }
        self.database = (parsed.path or "/").strip("/") or "plateledger"
        self._local = threading.local()
        self.command(f"CREATE DATABASE IF NOT EXISTS {self.database}")

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            try:
                client = clickhouse_connect.get_client(**self._kwargs)
            except Exception as exc:
                raise StoreError(f"cannot reach the ClickHouse server: {exc}") from None
            self._local.client = client
        return client

    def command(self, sql: str) -> None:
        try:
            self._client().command(sql)
        except Exception as exc:
            raise StoreError(str(exc)) from None

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        try:
            table = self._client().query_arrow(sql, parameters=dict(params or {}))
        except Exception as exc:
            raise StoreError(str(exc)) from None
        if not isinstance(table, pa.Table):
            raise StoreError("the server returned no table")
        return table

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        try:
            # insert_quorum / wait for fsync are server settings; see docs/scale-out.md
            self._client().insert_arrow(
                f"{self.database}.{table}", data, settings={"optimize_on_insert": 0}
            )
        except Exception as exc:
            raise StoreError(str(exc)) from None

    def close(self) -> None:
        client = getattr(self._local, "client", None)
        if client is not None:
            client.close()
