"""The ``held_reads`` table: copies of expiring reads kept for a legal hold.

The read columns plus ``hold_id`` and ``held_at``. Retention writes and deletes the copies
(`plateledger.retention.held`); a search made for a case reads them
(`plateledger.search.held`). Ordinary searches never read this table.
"""

from __future__ import annotations

from plateledger.store.readstore import ReadStore
from plateledger.store.schema import READ_COLUMNS

HELD_READS = "held_reads"


def held_reads_ddl(database: str) -> str:
    cols = ",\n    ".join(f"`{name}` {ctype}" for name, ctype in READ_COLUMNS)
    return f"""CREATE TABLE IF NOT EXISTS {database}.{HELD_READS}
(
    {cols},
    `hold_id` String,
    `held_at` DateTime('UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (hold_id, plate, ts, read_id)
SETTINGS fsync_after_insert = 1, fsync_part_directory = 1"""


def ensure_held_table(store: ReadStore) -> None:
    store.engine.command(held_reads_ddl(store.db))
