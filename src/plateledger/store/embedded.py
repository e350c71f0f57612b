"""Embedded ClickHouse (chDB) under a data directory.

Facts that shape this module (measured with chDB 4.4 on this project's machines):

* A connection shared between threads serialises queries and, with parameterised
  queries, has returned another thread's parameter values. So each thread gets its own
  connection to the same path (`threading.local`).
* One process owns a data directory, and chDB is not fork-safe: an exclusive `flock` on
  ``<dir>/.lock`` is taken for the life of the engine, and a second process is refused
  with a message naming the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import chdb
import pyarrow as pa

from plateledger.store.engine import StoreError, StoreLocked
from plateledger.store.literals import encode_params

_LOCK_NAME = ".lock"


class EmbeddedEngine:
    """chDB on ``path``; one connection per thread; exclusive for this process."""

    def __init__(self, path: Path, database: str = "plateledger") -> None:
        self.path = path
        self.database = database
        path.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _acquire_lock(path / _LOCK_NAME)
        self._local = threading.local()
        self._connections: list[Any] = []
        self._guard = threading.Lock()
        self._closed = False
        self.command(f"CREATE DATABASE IF NOT EXISTS {database}")

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError("the read store is closed")
            conn = chdb.connect(str(self.path))  # type: ignore[no-untyped-call]
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    def command(self, sql: str) -> None:
        try:
            self._conn().query(sql, "CSV")
        except Exception as exc:  # chDB raises its own error types and RuntimeError
            raise StoreError(str(exc)) from None

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        try:
            result = self._conn().query(sql, "ArrowTable", params=encode_params(params))
        except Exception as exc:
            raise StoreError(str(exc)) from None
        if not isinstance(result, pa.Table):
            raise StoreError("the engine returned no table")
        return result

    def query_keys(self, sql: str, keys: pa.Table) -> pa.Table:
        """Run SQL in which ``{keys}`` names ``keys``, a table of this process (chDB reads
        it in place: no text to write and parse, as an array parameter needs)."""
        batch_keys = keys  # noqa: F841 - referenced by name from the SQL below
        try:
            result = self._conn().query(sql.replace("{keys}", "Python(batch_keys)"),
                                        "ArrowTable")
        except Exception as exc:
            raise StoreError(str(exc)) from None
        if not isinstance(result, pa.Table):
            raise StoreError("the engine returned no table")
        return result

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        columns = ", ".join(f"`{name}`" for name in data.column_names)
        # chDB reads the Arrow table through its Python() table function by variable name.
        batch = data  # noqa: F841 - referenced by name from the SQL below
        # Duplicates inside a block are left to merges and to the queries' LIMIT 1 BY:
        # collapsing them on insert cost ~40 % of bulk-load speed.
        sql = (
            f"INSERT INTO {self.database}.{table} ({columns}) SELECT {columns} FROM Python(batch)"
            " SETTINGS optimize_on_insert = 0"
        )
        try:
            self._conn().query(sql, "CSV")
        except Exception as exc:
            raise StoreError(str(exc)) from None

    def close(self) -> None:
        with self._guard:
            if self._closed:
                return
            self._closed = True
            for conn in self._connections:
                # closing a dead connection must not mask shutdown
                with contextlib.suppress(Exception):
                    conn.close()
            self._connections.clear()
        os.close(self._lock_fd)


@contextmanager
def holding(path: Path) -> Iterator[None]:
    """Hold the data directory ``path`` as an engine would, without opening chDB: for
    maintenance that must not run beside a server (raises `StoreLocked`)."""
    path.mkdir(parents=True, exist_ok=True)
    fd = _acquire_lock(path / _LOCK_NAME)
    try:
        yield
    finally:
        os.close(fd)


def _acquire_lock(lock_path: Path) -> int:
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise StoreLocked(
            f"the data directory `{lock_path.parent}` is in use by process {holder}; "
            "stop that process or talk to it over HTTP (--url)"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd
