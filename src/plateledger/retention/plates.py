"""Pruning the plate dictionary of plates whose last read was purged.

The dictionary (``plates``, ``plate_variants``) feeds wildcard and fuzzy search and names
its candidate plates in results, so a plate left there after its reads are gone would
outlive its retention clock. It holds read plates and the plates of reads' candidates
(`plateledger.store.candidates`): a plate stays while a read has it or a kept candidate
row lists it. Only the plates of the reads a purge deletes and of their candidates are
examined (the reads table is sorted by plate, the candidates by plate key: both checks are
primary-key lookups).

The store writes dictionary entries before their reads; a read of a purged plate that
arrives while the purge runs could lose its entry. After pruning, entries are written
again for every examined plate that has reads by then, which closes that window except
for a read whose insert is still in flight at that last check.
"""

from __future__ import annotations

from plateledger.store import ReadStore
from plateledger.store.candidates import CANDIDATES
from plateledger.store.dictionary import add_to_dictionary
from plateledger.store.held import HELD_READS
from plateledger.store.schema import PLATE_VARIANTS, PLATES, READS

PURGED_PLATES = "retention_purged_plates"


def collect_purged_plates(store: ReadStore, expired: str, released: str = "") -> None:
    """Remember the distinct plates (and plate keys) of the reads about to be purged, of
    the held copies about to be released (``released``: their read ids, as SQL) and of
    their candidates (scratch table); called before the candidates are deleted.

    The scratch table is emptied only once `prune_plates` has pruned what it holds: a run
    that fails after deleting reads leaves their plates there for the next run to examine
    (the next run no longer finds those reads to collect them again)."""
    db = store.db
    columns = store.engine.query(
        "SELECT name FROM system.columns WHERE database = {db:String} "
        "AND table = {table:String}", {"db": db, "table": PURGED_PLATES},
    ).column("name").to_pylist()
    if columns and "plate_key" not in columns:  # a store from before candidates joined it
        store.engine.command(f"DROP TABLE IF EXISTS {db}.{PURGED_PLATES}")
    store.engine.command(
        f"CREATE TABLE IF NOT EXISTS {db}.{PURGED_PLATES} (`plate` String, `plate_key` String) "
        "ENGINE = MergeTree ORDER BY plate"
    )
    gone = f"SELECT read_id FROM {db}.{READS} WHERE {expired}"
    store.engine.command(
        f"INSERT INTO {db}.{PURGED_PLATES} "
        f"SELECT DISTINCT plate, plate_key FROM {db}.{READS} WHERE {expired}"
    )
    if released:
        store.engine.command(
            f"INSERT INTO {db}.{PURGED_PLATES} SELECT DISTINCT plate, plate_key FROM "
            f"{db}.{HELD_READS} WHERE read_id IN ({released})"
        )
        gone += f" UNION ALL {released}"
    store.engine.command(
        f"INSERT INTO {db}.{PURGED_PLATES} SELECT DISTINCT plate, plate_key FROM "
        f"{db}.{CANDIDATES} WHERE read_id IN ({gone})"
    )


def _listed(db: str, columns: str) -> str:
    """``columns`` of the examined plates that a read or a kept candidate row still has."""
    examined = f"SELECT plate FROM {db}.{PURGED_PLATES}"
    keyed = f"SELECT plate_key, plate FROM {db}.{PURGED_PLATES}"
    return (
        f"SELECT {columns} FROM {db}.{READS} WHERE plate IN ({examined}) UNION ALL "
        f"SELECT {columns} FROM {db}.{CANDIDATES} WHERE (plate_key, plate) IN ({keyed})"
    )


def prune_plates(store: ReadStore) -> int:
    """Delete dictionary entries of collected plates that no read and no candidate row has
    any more; count."""
    db = store.db
    orphan = (
        f"plate IN (SELECT plate FROM {db}.{PURGED_PLATES}) "
        f"AND plate NOT IN ({_listed(db, 'plate')})"
    )
    removed = int(
        store.query(f"SELECT uniqExact(plate) AS n FROM {{db}}.{PLATES} WHERE {orphan}")
        .column("n")[0].as_py()
    )
    if removed:
        # variants first: the orphan rule reads neither dictionary table
        for table in (PLATE_VARIANTS, PLATES):
            store.engine.command(
                f"ALTER TABLE {db}.{table} DELETE WHERE {orphan} SETTINGS mutations_sync = 2"
            )
        _restore_entries(store)
    store.engine.command(f"TRUNCATE TABLE {db}.{PURGED_PLATES}")
    return removed


def _restore_entries(store: ReadStore) -> None:
    """Write entries again for examined plates that have reads or candidate rows now
    (inserted meanwhile)."""
    db = store.db
    back = store.query(
        f"SELECT DISTINCT plate, plate_key FROM ({_listed(db, 'plate, plate_key')}) "
        f"WHERE plate NOT IN (SELECT plate FROM {db}.{PLATES} WHERE plate IN "
        f"(SELECT plate FROM {db}.{PURGED_PLATES}))"
    )
    if back.num_rows:
        add_to_dictionary(store.engine, back)
