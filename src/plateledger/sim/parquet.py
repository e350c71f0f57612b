"""Writing a generated stream of reads to a Parquet file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from plateledger.sim.city import City
from plateledger.store.schema import ARROW_SCHEMA


def write_parquet(
    city: City,
    path: str | Path,
    *,
    seed: int,
    n_reads: int,
    start: datetime,
    days: float,
    batch_size: int = 1_000_000,
    retention_days: Mapping[int, int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``n_reads`` reads of ``city`` to ``path`` (zstd, one row group per batch).

    Returns the number of rows written. ``read_id`` is nil: the store derives each read's id
    when the file is loaded (`plateledger.sim.batches.nil_ids`).
    """
    written = 0
    with pq.ParquetWriter(str(path), ARROW_SCHEMA, compression="zstd") as writer:
        for table in city.generate(seed, n_reads, start, days, batch_size,
                                   retention_days=retention_days, progress=progress):
            writer.write_table(table, row_group_size=batch_size)
            written += table.num_rows
    return written
