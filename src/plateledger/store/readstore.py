"""`ReadStore`: the reads of every owner, in ClickHouse (embedded by default).

Every query the store runs filters on ``expires_at``: an expired read is never returned,
even before a purge has physically deleted it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from plateledger.read import PlateRead
from plateledger.store.arrow import reads_to_arrow, to_clickhouse_uuid_bytes
from plateledger.store.dictionary import distinct_plates, plate_variants
from plateledger.store.embedded import EmbeddedEngine
from plateledger.store.engine import ClickHouseEngine, StoreError
from plateledger.store.schema import (
    ARROW_SCHEMA,
    PLATE_VARIANTS,
    PLATES,
    READS,
    Partitioning,
    plates_ddl,
    reads_ddl,
)
from plateledger.store.server import ServerEngine


class ReadStore:
    """Insert reads; run read-only queries over them. Thread-safe."""

    def __init__(self, engine: ClickHouseEngine, *, partitioning: Partitioning = "month") -> None:
        self.engine = engine
        self.db = engine.database
        self.partitioning = partitioning
        self.ensure_schema()

    @classmethod
    def open(
        cls,
        *,
        data_dir: Path | None = None,
        url: str | None = None,
        partitioning: Partitioning = "month",
    ) -> ReadStore:
        """The embedded store under ``data_dir``, or a ClickHouse server at ``url``."""
        if url:
            return cls(ServerEngine(url), partitioning=partitioning)
        if data_dir is None:
            raise StoreError("give a data directory or a ClickHouse url")
        return cls(EmbeddedEngine(data_dir), partitioning=partitioning)

    def ensure_schema(self) -> None:
        self.engine.command(reads_ddl(self.db, partitioning=self.partitioning))
        for ddl in plates_ddl(self.db):
            self.engine.command(ddl)

    def close(self) -> None:
        self.engine.close()

    # -- writing -----------------------------------------------------------------------

    def insert_reads(self, reads: Sequence[PlateRead]) -> None:
        """Insert validated reads; durable (fsynced) when this returns."""
        if reads:
            self.insert_arrow(reads_to_arrow(reads))

    def insert_arrow(self, table: pa.Table | pa.RecordBatch) -> None:
        """Insert a batch in `ARROW_SCHEMA` layout (ids in RFC 4122 byte order)."""
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if table.num_rows == 0:
            return
        if not table.schema.equals(ARROW_SCHEMA):
            table = table.select(ARROW_SCHEMA.names).cast(ARROW_SCHEMA)
        plates = distinct_plates(table)
        self.engine.insert_arrow(PLATES, plates)
        self.engine.insert_arrow(PLATE_VARIANTS, plate_variants(plates))
        ids = pa.chunked_array(
            [to_clickhouse_uuid_bytes(chunk) for chunk in table.column("read_id").chunks],
            pa.binary(16),
        )
        table = table.set_column(0, ARROW_SCHEMA.field("read_id"), ids)
        self.engine.insert_arrow(READS, table)

    # -- reading -----------------------------------------------------------------------

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run SQL in which ``{db}`` names the store's database."""
        return self.engine.query(sql.replace("{db}", self.db), params)

    def count(self, *, include_expired: bool = False) -> int:
        where = "" if include_expired else "WHERE expires_at > now()"
        table = self.query(f"SELECT uniqExact(read_id) AS n FROM {{db}}.{READS} {where}")
        return int(table.column("n")[0].as_py())

    def disk_usage(self) -> dict[str, int]:
        """Bytes on disk and rows of each table's active parts."""
        table = self.query(
            "SELECT table, sum(bytes_on_disk) AS bytes, sum(rows) AS rows FROM system.parts "
            "WHERE database = {database:String} AND active GROUP BY table",
            {"database": self.db},
        )
        return {row["table"]: int(row["bytes"]) for row in table.to_pylist()}

    def optimize(self) -> None:
        """Merge parts (collapses retried duplicates); for benchmarks and maintenance."""
        for table in (READS, PLATES, PLATE_VARIANTS):
            self.engine.command(f"OPTIMIZE TABLE {self.db}.{table} FINAL")
