"""Pruning the plate dictionary of plates whose last read was purged.

The dictionary (``plates``, ``plate_variants``) feeds wildcard and fuzzy search and names
its candidate plates in results, so a plate left there after its reads are gone would
outlive its retention clock. Only plates of the reads a purge deletes are examined (the
reads table is sorted by plate, so checking them is a primary-key lookup).

The store writes dictionary entries before their reads; a read of a purged plate that
arrives while the purge runs could lose its entry. After pruning, entries are written
again for every examined plate that has reads by then, which closes that window except
for a read whose insert is still in flight at that last check.
"""

from __future__ import annotations

from plateledger.store import ReadStore
from plateledger.store.dictionary import plate_variants
from plateledger.store.schema import PLATE_VARIANTS, PLATES, READS

PURGED_PLATES = "retention_purged_plates"


def collect_purged_plates(store: ReadStore, expired: str) -> None:
    """Remember the distinct plates of the reads about to be purged (scratch table)."""
    store.engine.command(
        f"CREATE TABLE IF NOT EXISTS {store.db}.{PURGED_PLATES} (`plate` String) "
        "ENGINE = MergeTree ORDER BY plate"
    )
    store.engine.command(f"TRUNCATE TABLE {store.db}.{PURGED_PLATES}")
    store.engine.command(
        f"INSERT INTO {store.db}.{PURGED_PLATES} "
        f"SELECT DISTINCT plate FROM {store.db}.{READS} WHERE {expired}"
    )


def prune_plates(store: ReadStore) -> int:
    """Delete dictionary entries of collected plates that no read has any more; count."""
    db = store.db
    candidates = f"SELECT plate FROM {db}.{PURGED_PLATES}"
    orphan = (
        f"plate IN ({candidates}) AND plate NOT IN "
        f"(SELECT plate FROM {db}.{READS} WHERE plate IN ({candidates}))"
    )
    removed = int(
        store.query(f"SELECT uniqExact(plate) AS n FROM {{db}}.{PLATES} WHERE {orphan}")
        .column("n")[0].as_py()
    )
    if removed:
        # variants first: the orphan rule reads only the reads table, so it holds for both
        for table in (PLATE_VARIANTS, PLATES):
            store.engine.command(
                f"ALTER TABLE {db}.{table} DELETE WHERE {orphan} SETTINGS mutations_sync = 2"
            )
        _restore_entries(store, candidates)
    store.engine.command(f"TRUNCATE TABLE {db}.{PURGED_PLATES}")
    return removed


def _restore_entries(store: ReadStore, candidates: str) -> None:
    """Write entries again for examined plates that have reads now (inserted meanwhile)."""
    back = store.query(
        f"SELECT DISTINCT plate, plate_key FROM {{db}}.{READS} WHERE plate IN ({candidates}) "
        f"AND plate NOT IN (SELECT plate FROM {{db}}.{PLATES} WHERE plate IN ({candidates}))"
    )
    if back.num_rows:
        store.engine.insert_arrow(PLATES, back)
        store.engine.insert_arrow(PLATE_VARIANTS, plate_variants(back))
