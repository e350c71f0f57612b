"""Held reads: copies of expiring reads kept for a legal hold, searchable only for its case.

A purge copies every expiring read a hold selects into ``held_reads`` (the read columns
plus ``hold_id`` and ``held_at``) before it deletes anything; the copies are deleted by
the first purge after the hold is released or expires. Ordinary searches never read this
table. A search made for a case reaches its copies only through `held_scope` and
`search_held`, and the caller is responsible for passing only the active holds whose case
number the search gives (`HoldStore.for_case`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from plateledger.plates import normalize_plate
from plateledger.retention import sqltext
from plateledger.retention.holds import LegalHold
from plateledger.search.filters import Filters
from plateledger.search.result import ReadOut, SearchPage
from plateledger.store import ReadStore
from plateledger.store.arrow import rows_to_reads
from plateledger.store.schema import READ_COLUMN_NAMES, READ_COLUMNS, READ_IDENTITY, READS

HELD_READS = "held_reads"
EXPIRY_RULE = "expires_at > now()"


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


def copy_held_reads(
    store: ReadStore, holds: Sequence[LegalHold], expired: str, now: datetime
) -> dict[str, int]:
    """Copy the reads each hold selects among those ``expired`` selects; rows per hold.

    A read already copied for a hold is not copied again for it.
    """
    copied: dict[str, int] = {}
    columns = ", ".join(f"`{c}`" for c in READ_COLUMN_NAMES)
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


@dataclass(frozen=True)
class HeldScope:
    """The holds whose copies a case search may read. Empty: reads nothing."""

    hold_ids: tuple[str, ...]

    def sql(self) -> str:
        """A WHERE fragment over ``held_reads`` restricting rows to these holds."""
        if not self.hold_ids:
            return "0"
        return f"hold_id IN {sqltext.strings(self.hold_ids)}"


def held_scope(store: ReadStore, hold_ids: Sequence[str]) -> HeldScope:
    """The scope of held copies for ``hold_ids`` (active holds of the searched case).

    Makes sure the held table exists, so a search before the first purge finds nothing
    rather than failing.
    """
    ensure_held_table(store)
    return HeldScope(tuple(sorted(set(hold_ids))))


def search_held(
    store: ReadStore,
    scope: HeldScope,
    filters: Filters,
    plate: str | None = None,
    *,
    images: bool = False,
) -> SearchPage:
    """Held copies within ``scope`` (optionally of one plate), newest first.

    Held copies have passed their clock by design, so the expiry rule is the one filter
    not applied here: the hold is what keeps them. ``images`` is what policy allowed.
    """
    params: dict[str, object] = {}
    rules = filters.sql(params)
    if not rules.startswith(EXPIRY_RULE):
        raise RuntimeError("filters no longer start with the expiry rule")
    where = f"{scope.sql()} AND 1{rules[len(EXPIRY_RULE):]}"
    if plate is not None:
        params["held_plate"] = normalize_plate(plate)
        where += " AND plate = {held_plate:String}"
    params["lim"] = filters.limit
    params["off"] = filters.offset
    columns = ", ".join(f"`{c}`" for c in READ_COLUMN_NAMES)
    rows = store.query(
        f"SELECT {columns} FROM {{db}}.{HELD_READS} WHERE {where} "
        f"ORDER BY ts DESC, read_id LIMIT 1 BY {READ_IDENTITY} "
        "LIMIT {lim:UInt32} OFFSET {off:UInt32}",
        params,
    )
    total = rows.num_rows
    if filters.offset or rows.num_rows >= filters.limit:
        counted = store.query(
            f"SELECT uniqExact({READ_IDENTITY}) AS n FROM {{db}}.{HELD_READS} WHERE {where}",
            params,
        )
        total = int(counted.column("n")[0].as_py())
    reads = rows_to_reads(rows) if rows.num_rows else []
    return SearchPage(
        kind="held", total=total, limit=filters.limit, offset=filters.offset,
        results=[ReadOut.from_read(r, images=images) for r in reads],
    )
