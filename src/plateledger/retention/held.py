"""Held reads: copies of expiring reads kept for a legal hold, searchable only for its case.

A purge copies every expiring read a hold selects into ``held_reads``
(`plateledger.store.held`) before it deletes anything; the copies are deleted by the
first purge after the hold is released or expires. Searches for a case read them through
`plateledger.search.held`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from plateledger.retention.holds import LegalHold
from plateledger.store import ReadStore
from plateledger.store import literals as sqltext
from plateledger.store.held import HELD_READS
from plateledger.store.schema import READ_IDENTITY, READS, STORED_COLUMN_NAMES


def copy_held_reads(
    store: ReadStore, holds: Sequence[LegalHold], expired: str, now: datetime
) -> dict[str, int]:
    """Copy the reads each hold selects among those ``expired`` selects; rows per hold.

    A read already copied for a hold is not copied again for it.
    """
    copied: dict[str, int] = {}
    columns = ", ".join(f"`{c}`" for c in STORED_COLUMN_NAMES)
    for hold in holds:
        hold_id = sqltext.string(hold.hold_id)
        where = (
            f"({expired}) AND {hold.reads_sql()} AND ({READ_IDENTITY}) NOT IN "
            f"(SELECT {READ_IDENTITY} FROM {store.db}.{HELD_READS} WHERE hold_id = {hold_id})"
        )
        count = store.query(
            f"SELECT uniqExact({READ_IDENTITY}) AS n FROM {{db}}.{READS} WHERE {where}"
        ).column("n")[0].as_py()
        copied[hold.hold_id] = int(count)
        if count:
            store.engine.command(
                f"INSERT INTO {store.db}.{HELD_READS} ({columns}, hold_id, held_at) "
                f"SELECT {columns}, {hold_id}, toDateTime({sqltext.moment(now)}, 'UTC') "
                f"FROM {store.db}.{READS} WHERE {where} LIMIT 1 BY {READ_IDENTITY}"
            )
    return copied


def release_held_reads(store: ReadStore, active_hold_ids: Sequence[str]) -> int:
    """Delete the copies of every hold not in ``active_hold_ids``; rows deleted."""
    keep = f"hold_id NOT IN {sqltext.strings(active_hold_ids)}" if active_hold_ids else "1"
    count = store.query(
        f"SELECT count() AS n FROM {{db}}.{HELD_READS} WHERE {keep}"
    ).column("n")[0].as_py()
    if count:
        store.engine.command(
            f"ALTER TABLE {store.db}.{HELD_READS} DELETE WHERE {keep} "
            "SETTINGS mutations_sync = 2"
        )
    return int(count)

