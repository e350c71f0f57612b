"""The store-and-forward spool: reads wait here, on disk, until the server has them.

A SQLite file in WAL mode with ``synchronous=FULL``: an item is on disk (fsynced) before
`Spool.put` returns, so neither a crash nor a restart loses it. Items leave in the order
they came (``seq``), only when the server acknowledged them (`Spool.ack`), or when the
server rejected them, into the dead-letter table (`Spool.bury`), where they stay for a
person to look at instead of being retried for ever. Each item carries a stable id (the
read's UUID), so a batch sent twice is recognised by the server as the same reads.

One `Spool` object per thread: open another on the same path for another thread.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

READS_ENDPOINT = "/v1/reads"
"""Where native reads go, in JSON-array batches; other endpoints take one body per POST."""

_SCHEMA_OUTBOX = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL UNIQUE,
    endpoint TEXT NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
)
"""
_SCHEMA_DEAD = """
CREATE TABLE IF NOT EXISTS dead (
    seq INTEGER PRIMARY KEY,
    item_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    buried REAL NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class SpoolItem:
    """One waiting item: a native read (JSON object) or a raw adapter message body."""

    seq: int
    item_id: str
    endpoint: str
    body: str
    attempts: int


@dataclass(frozen=True, slots=True)
class DeadItem:
    """An item the server rejected, with the server's reason."""

    item_id: str
    endpoint: str
    body: str
    error: str


class Spool:
    """A durable FIFO of items bound for the server; see the module docstring."""

    def __init__(self, path: Path, *, shared: bool = False) -> None:
        """Open (creating if needed) the spool at ``path``. With ``shared``, the object may
        move between threads; the caller then serialises its use with a lock."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None,
                                   check_same_thread=not shared)
        for attempt in range(50):
            # switching a new file to WAL needs it to itself for a moment; the busy
            # handler does not cover that, so another opener may see "locked"
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                if attempt == 49:
                    raise
                time.sleep(0.1)
        self._db.execute("PRAGMA synchronous=FULL")
        with self._transaction():
            self._db.execute(_SCHEMA_OUTBOX)
            self._db.execute(_SCHEMA_DEAD)

    def close(self) -> None:
        """Close the connection; items stay on disk."""
        self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, item_id: str, body: str, endpoint: str = READS_ENDPOINT) -> bool:
        """Append an item; False if an item with ``item_id`` is already spooled."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO outbox (item_id, endpoint, body, created) VALUES (?, ?, ?, ?)",
            (item_id, endpoint, body, time.time()),
        )
        return cursor.rowcount == 1

    def next_batch(self, limit: int) -> list[SpoolItem]:
        """The oldest items that can go in one request: up to ``limit`` consecutive native
        reads, or a single item bound for another endpoint."""
        rows = self._db.execute(
            "SELECT seq, item_id, endpoint, body, attempts FROM outbox ORDER BY seq LIMIT ?",
            (max(1, limit),),
        ).fetchall()
        items = [SpoolItem(*row) for row in rows]
        if not items:
            return []
        if items[0].endpoint != READS_ENDPOINT:
            return items[:1]
        batch = []
        for item in items:
            if item.endpoint != READS_ENDPOINT:
                break
            batch.append(item)
        return batch

    def ack(self, seqs: list[int]) -> None:
        """Delete items the server acknowledged."""
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

    def bury(self, seq: int, error: str) -> None:
        """Move an item the server rejected to the dead-letter table, with its reason."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO dead SELECT seq, item_id, endpoint, body, created, "
                "attempts, ?, ? FROM outbox WHERE seq = ?",
                (error[:2000], time.time(), seq),
            )
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def attempted(self, seqs: list[int]) -> None:
        """Count one more delivery attempt for each item."""
        with self._transaction():
            self._db.executemany(
                "UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", [(s,) for s in seqs]
            )

    def backlog(self) -> int:
        """Items waiting to be sent."""
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def dead_count(self) -> int:
        """Items in the dead-letter table."""
        return int(self._db.execute("SELECT count(*) FROM dead").fetchone()[0])

    def dead_items(self) -> list[DeadItem]:
        """The dead-letter table, oldest first."""
        rows = self._db.execute(
            "SELECT item_id, endpoint, body, error FROM dead ORDER BY seq"
        ).fetchall()
        return [DeadItem(*row) for row in rows]

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
