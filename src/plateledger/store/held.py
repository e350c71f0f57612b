"""The ``held_reads`` table: copies of expiring reads kept for a legal hold.

The read columns plus ``hold_id`` and ``held_at``. Retention writes and deletes the copies
(`plateledger.retention.held`); a search made for a case reads them
(`plateledger.search.held`). Ordinary searches never read this table.
"""

from __future__ import annotations

from plateledger.store.readstore import ReadStore, has_current_layout, move_table
from plateledger.store.schema import READ_IDENTITY, read_columns_ddl

HELD_READS = "held_reads"
RELAID = f"{HELD_READS}_relaid"
"""The table a migration of ``held_reads`` to the current layout fills first."""


def held_reads_ddl(database: str, table: str = HELD_READS) -> str:
    cols = read_columns_ddl()
    return f"""CREATE TABLE IF NOT EXISTS {database}.{table}
(
    {cols},
    `hold_id` String,
    `held_at` DateTime('UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (hold_id, {READ_IDENTITY})
SETTINGS fsync_after_insert = 1, fsync_part_directory = 1"""


def ensure_held_table(store: ReadStore) -> None:
    """Make the table, or move one made before to the layout of ``reads``
    (`plateledger.store.schema.KEPT`), as ``reads`` itself is moved."""
    engine = store.engine
    engine.command(f"DROP TABLE IF EXISTS {store.db}.{RELAID} SYNC")
    engine.command(held_reads_ddl(store.db))
    if has_current_layout(engine, HELD_READS):
        return
    move_table(engine, HELD_READS, RELAID, held_reads_ddl(store.db, RELAID),
               extra="hold_id, held_at")
