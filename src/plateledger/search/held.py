"""Case searches over held reads: copies kept for a legal hold, searchable only for its case.

A purge copies every expiring read a hold selects into ``held_reads``
(`plateledger.retention.held`). A search made for a case reaches those copies only
through `held_scope` and `search_held`, and the caller is responsible for passing only
the active holds of the case the search gives, whose case agency made the search
(`HoldStore.for_case`, `plateledger.access.held`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from plateledger.plates import confusion_key, normalize_plate
from plateledger.search.filters import Filters
from plateledger.search.result import ReadOut, SearchPage
from plateledger.store import ReadStore, literals
from plateledger.store.arrow import rows_to_reads
from plateledger.store.candidates import held_candidate_matches
from plateledger.store.held import HELD_READS, ensure_held_table
from plateledger.store.schema import READ_COLUMN_NAMES, READ_IDENTITY, TIE

EXPIRY_RULE = "expires_at > now()"


@dataclass(frozen=True)
class HeldScope:
    """The holds whose copies a case search may read. Empty: reads nothing."""

    hold_ids: tuple[str, ...]

    def sql(self) -> str:
        """A WHERE fragment over ``held_reads`` restricting rows to these holds."""
        if not self.hold_ids:
            return "0"
        return f"hold_id IN {literals.strings(self.hold_ids)}"


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
    since: datetime | None = None,
) -> SearchPage:
    """Held copies within ``scope`` (optionally of one plate), newest first.

    Held copies have passed their clock by design, so the expiry rule is the one filter
    not applied here: the hold is what keeps them. ``images`` is what policy allowed;
    ``since`` (aware), where policy limits the lookback, leaves out older copies.
    """
    params: dict[str, object] = {}
    rules = filters.sql(params)
    if not rules.startswith(EXPIRY_RULE):
        raise RuntimeError("filters no longer start with the expiry rule")
    where = f"{scope.sql()} AND 1{rules[len(EXPIRY_RULE):]}"
    if plate is not None:
        normalized = params["held_plate"] = normalize_plate(plate)
        # a held copy whose vendor candidates include the plate is found too (the hold
        # keeps its candidates with it)
        matches = held_candidate_matches(
            store.engine, normalized, confusion_key(normalized), HELD_READS, scope.sql()
        )
        params["held_ids"] = [str(m.read_id) for m in matches]
        where += " AND (plate = {held_plate:String} OR read_id IN {held_ids:Array(UUID)})"
    if since is not None:
        params["held_since"] = since
        where += " AND ts >= {held_since:DateTime64(3, 'UTC')}"
    params["lim"] = filters.limit
    params["off"] = filters.offset
    columns = ", ".join(f"`{c}`" for c in READ_COLUMN_NAMES)
    rows = store.query(
        f"SELECT {columns} FROM {{db}}.{HELD_READS} WHERE {where} "
        f"ORDER BY ts DESC, {TIE} LIMIT 1 BY {READ_IDENTITY} "
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
