"""Baseline stores for the read-store benchmark: PostgreSQL and SQLite.

PostgreSQL uses the schema an open-source ALPR database typically uses: a B-tree on
(plate, ts) for exact lookups, a pg_trgm GIN index on plate for partial plates, and a
B-tree on (camera_id, ts) for camera windows. SQLite gets the same B-trees. Both answer
the same queries as the read store; their fuzzy search is what their indexes allow
(trigram similarity on PostgreSQL; a scan with the same confusion key on SQLite).
"""

from __future__ import annotations

import io
import sqlite3
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from plateledger.plates import confusion_key, parse_wildcard

COLUMNS = ("read_id", "owner_id", "camera_id", "ts", "plate", "plate_key", "region",
           "confidence", "lat", "lon", "expires_at")


def _slim(batch: pa.Table) -> pa.Table:
    ids = [str(uuid.UUID(bytes=b)) for b in batch.column("read_id").to_pylist()]
    table = batch.select([c for c in COLUMNS if c != "read_id"])
    return table.add_column(0, "read_id", pa.array(ids, pa.string()))


class PostgresBaseline:
    name = "postgresql"

    def __init__(self, dsn: str, schema: str = "bench_alpr") -> None:
        import psycopg

        self.conn = psycopg.connect(dsn, autocommit=True)
        self.schema = schema
        with self.conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cur.execute(f"CREATE SCHEMA {schema}")
            cur.execute(
                f"""CREATE TABLE {schema}.reads (
                    read_id uuid, owner_id integer, camera_id text, ts timestamptz,
                    plate text, plate_key text, region text, confidence real,
                    lat real, lon real, expires_at timestamptz)"""
            )

    def load(self, batches: Iterable[pa.Table]) -> None:
        with self.conn.cursor() as cur:
            for batch in batches:
                buf = io.BytesIO()
                pacsv.write_csv(_slim(batch), buf, pacsv.WriteOptions(include_header=False))
                buf.seek(0)
                with cur.copy(f"COPY {self.schema}.reads FROM STDIN WITH (FORMAT csv)") as copy:
                    while chunk := buf.read(1 << 20):
                        copy.write(chunk)

    def build_indexes(self) -> None:
        s = self.schema
        with self.conn.cursor() as cur:
            cur.execute(f"CREATE INDEX ON {s}.reads (plate, ts)")
            cur.execute(f"CREATE INDEX ON {s}.reads (camera_id, ts)")
            cur.execute(f"CREATE INDEX ON {s}.reads USING gin (plate gin_trgm_ops)")
            cur.execute(f"CREATE INDEX ON {s}.reads (plate_key)")
            cur.execute(f"ANALYZE {s}.reads")

    def bytes_on_disk(self) -> int:
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT pg_total_relation_size('{self.schema}.reads')")
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def exact(self, plate: str, limit: int = 100) -> int:
        return self._rows(
            f"SELECT * FROM {self.schema}.reads WHERE plate = %s AND expires_at > now() "
            "ORDER BY ts DESC LIMIT %s", (plate, limit))

    def wildcard(self, pattern: str, limit: int = 100) -> int:
        like = parse_wildcard(pattern).like
        return self._rows(
            f"SELECT * FROM {self.schema}.reads WHERE plate LIKE %s AND expires_at > now() "
            "ORDER BY ts DESC LIMIT %s", (like, limit))

    def fuzzy(self, plate: str, limit: int = 100) -> int:
        # What the baseline schema offers: confusion-folded equality plus trigram similarity.
        return self._rows(
            f"SELECT * FROM {self.schema}.reads WHERE (plate_key = %s OR plate %% %s) "
            "AND expires_at > now() ORDER BY ts DESC LIMIT %s",
            (confusion_key(plate), plate, limit))

    def camera_window(self, camera: str, since: datetime, until: datetime,
                      limit: int = 100) -> int:
        return self._rows(
            f"SELECT * FROM {self.schema}.reads WHERE camera_id = %s AND ts BETWEEN %s AND %s "
            "AND expires_at > now() ORDER BY ts DESC LIMIT %s", (camera, since, until, limit))

    def _rows(self, sql: str, params: tuple[Any, ...]) -> int:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return len(cur.fetchall())

    def close(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        self.conn.close()


class SQLiteBaseline:
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.path = path
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.create_function("confusion_key", 1, confusion_key, deterministic=True)
        self.conn.execute(
            """CREATE TABLE reads (read_id TEXT, owner_id INTEGER, camera_id TEXT, ts INTEGER,
               plate TEXT, plate_key TEXT, region TEXT, confidence REAL, lat REAL, lon REAL,
               expires_at INTEGER)"""
        )

    def load(self, batches: Iterable[pa.Table]) -> None:
        for batch in batches:
            slim = _slim(batch)
            ts = slim.column("ts").cast(pa.int64()).to_pylist()
            exp = slim.column("expires_at").cast(pa.int64()).to_pylist()
            cols = [slim.column(c).to_pylist() for c in COLUMNS]
            cols[COLUMNS.index("ts")] = ts
            cols[COLUMNS.index("expires_at")] = [e * 1000 for e in exp]
            marks = ",".join("?" * len(COLUMNS))
            self.conn.executemany(f"INSERT INTO reads VALUES ({marks})", zip(*cols, strict=True))
            self.conn.commit()

    def build_indexes(self) -> None:
        self.conn.execute("CREATE INDEX reads_plate_ts ON reads (plate, ts)")
        self.conn.execute("CREATE INDEX reads_camera_ts ON reads (camera_id, ts)")
        self.conn.execute("CREATE INDEX reads_key ON reads (plate_key)")
        self.conn.execute("ANALYZE")
        self.conn.commit()

    def bytes_on_disk(self) -> int:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return self.path.stat().st_size

    def _now(self) -> int:
        return int(datetime.now().timestamp() * 1000)

    def exact(self, plate: str, limit: int = 100) -> int:
        return len(self.conn.execute(
            "SELECT * FROM reads WHERE plate = ? AND expires_at > ? ORDER BY ts DESC LIMIT ?",
            (plate, self._now(), limit)).fetchall())

    def wildcard(self, pattern: str, limit: int = 100) -> int:
        glob = parse_wildcard(pattern).pattern  # SQLite GLOB uses * and ? too
        return len(self.conn.execute(
            "SELECT * FROM reads WHERE plate GLOB ? AND expires_at > ? ORDER BY ts DESC LIMIT ?",
            (glob, self._now(), limit)).fetchall())

    def fuzzy(self, plate: str, limit: int = 100) -> int:
        # One index probe on the folded key: confusable misreads only, no edits.
        return len(self.conn.execute(
            "SELECT * FROM reads WHERE plate_key = ? AND expires_at > ? ORDER BY ts DESC LIMIT ?",
            (confusion_key(plate), self._now(), limit)).fetchall())

    def camera_window(self, camera: str, since: datetime, until: datetime,
                      limit: int = 100) -> int:
        return len(self.conn.execute(
            "SELECT * FROM reads WHERE camera_id = ? AND ts BETWEEN ? AND ? AND expires_at > ? "
            "ORDER BY ts DESC LIMIT ?",
            (camera, int(since.timestamp() * 1000), int(until.timestamp() * 1000), self._now(),
             limit)).fetchall())

    def close(self) -> None:
        self.conn.close()
