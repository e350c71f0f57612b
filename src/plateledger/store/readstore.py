"""`ReadStore`: the reads of every owner, in ClickHouse (embedded by default).

Every query the store runs filters on ``expires_at``: an expired read is never returned,
even before a purge has physically deleted it.

Reads from agencies' keys are added with `ReadStore.add_reads`, which never replaces or
changes a stored read (`plateledger.store.identity`); `insert_reads` and `insert_arrow`
write without looking (bulk loads of one owner's data, tests). A store made with an older
sort key is migrated when it is opened (`ReadStore.ensure_schema`).
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from plateledger.read import PlateRead
from plateledger.store.arrow import reads_to_arrow, to_clickhouse_uuid_bytes
from plateledger.store.candidates import ensure_candidates
from plateledger.store.dictionary import add_to_dictionary, distinct_plates
from plateledger.store.embedded import EmbeddedEngine
from plateledger.store.engine import ClickHouseEngine, StoreError
from plateledger.store.identity import (
    Added,
    Evidence,
    Key,
    decide,
    derived_positions,
    evidence_rows,
    key_lookup_sql,
    lookup_sql,
)
from plateledger.store.schema import (
    ARROW_SCHEMA,
    CAMERA_HOURS,
    CAMERA_HOURS_FILLED,
    KEPT,
    PERCENT_COLUMNS,
    PLATE_VARIANTS,
    PLATES,
    PROJECTED_COLUMNS,
    READ_COLUMN_NAMES,
    READ_IDENTITY,
    READ_PRIMARY,
    READS,
    STORED_COLUMN_NAMES,
    Partitioning,
    camera_hours_ddl,
    camera_hours_select,
    insert_columns,
    plates_ddl,
    reads_ddl,
)
from plateledger.store.server import ServerEngine


def physical_columns(engine: ClickHouseEngine, table: str) -> frozenset[str]:
    """The columns ``table`` keeps (not computed, not ephemeral)."""
    return frozenset(str(n) for n in engine.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} "
        "AND default_kind NOT IN ('ALIAS', 'EPHEMERAL')",
        {"db": engine.database, "t": table},
    ).column("name").to_pylist())


def has_current_layout(engine: ClickHouseEngine, table: str) -> bool:
    """Whether ``table`` keeps every column as `plateledger.store.schema` lays it out now
    (a store made before kept every read's id, raw plate and arrival whole)."""
    return set(STORED_COLUMN_NAMES) <= physical_columns(engine, table)


def copy_columns(engine: ClickHouseEngine, source: str, target: str, *, extra: str = "") -> None:
    """Copy every row of ``source`` into ``target`` (a table of reads of the current layout)
    whatever layout ``source`` has: a column ``source`` keeps as ``target`` does is copied
    as it is, any other is given whole and kept in its current form (`KEPT`). ``extra``
    names more columns both have."""
    kept = physical_columns(engine, source)
    into: list[str] = []
    select: list[str] = []
    for name in READ_COLUMN_NAMES:
        form = KEPT.get(name)
        if form is None or form.stored in kept:
            column = name if form is None else form.stored
            into.append(column)
            select.append(column)
        else:
            into.append(form.given)
            select.append(name)
    more = f", {extra}" if extra else ""
    engine.command(
        f"INSERT INTO {engine.database}.{target} ({', '.join(into)}{more}) "
        f"SELECT {', '.join(select)}{more} "
        f"FROM {engine.database}.{source} SETTINGS optimize_on_insert = 0"
    )


def move_table(
    engine: ClickHouseEngine, table: str, temporary: str, ddl: str, *, extra: str = ""
) -> None:
    """Move ``table`` to the current layout: ``temporary`` (made by ``ddl``) is filled from
    it (`copy_columns`), the two are exchanged atomically and the old one dropped."""
    db = engine.database
    engine.command(ddl)
    copy_columns(engine, table, temporary, extra=extra)
    engine.command(f"EXCHANGE TABLES {db}.{table} AND {db}.{temporary}")
    engine.command(f"DROP TABLE {db}.{temporary} SYNC")


def projection_source(database: str) -> str:
    """The ``by_camera`` projection read directly, as a subquery that also gives the columns
    the table computes from those it keeps (`KEPT`: the read's id and raw plate),
    under their names: the projection holds only what the table keeps."""
    computed = ", ".join(
        f"{form.read} AS `{form.column}`" for form in KEPT.values()
        if form.stored in PROJECTED_COLUMNS
    )
    return (f"(SELECT *, {computed} FROM "
            f"mergeTreeProjection('{database}', '{READS}', 'by_camera'))")


REKEYED = f"{READS}_rekeyed"
"""The table a sort-key migration fills before exchanging it with ``reads``."""


class ReadStore:
    """Insert reads; run read-only queries over them. Thread-safe."""

    def __init__(self, engine: ClickHouseEngine, *, partitioning: Partitioning = "month") -> None:
        self._known_settings: frozenset[str] | None = None
        self._by_camera: str | None = None
        self.engine = engine
        self.db = engine.database
        self.partitioning = partitioning
        try:
            self.ensure_schema()
        except BaseException:
            # a store that cannot be opened (a cluster to migrate by hand) leaves its data
            # directory free for the next try; the error raised is the one that stopped it
            with contextlib.suppress(Exception):
                engine.close()
            raise

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
        self._rekey_reads()
        self.engine.command(reads_ddl(self.db, partitioning=self.partitioning))
        for ddl in plates_ddl(self.db):
            self.engine.command(ddl)
        ensure_candidates(self.engine)
        self._camera_hours()

    def close(self) -> None:
        self.engine.close()

    def _table(self, name: str) -> dict[str, str] | None:
        rows = self.engine.query(
            "SELECT engine, sorting_key, primary_key, partition_key FROM system.tables "
            "WHERE database = {db:String} AND name = {name:String}",
            {"db": self.db, "name": name},
        ).to_pylist()
        return {k: str(v) for k, v in rows[0].items()} if rows else None

    def _camera_hours(self) -> None:
        """Create the camera-hours summary and its view, and fill it from the stored reads
        the first time (a store made before it existed, or a fill cut short).

        The view is made before the fill, so a read inserted meanwhile is summarised at
        least once (twice does no harm: the columns are minima and maxima); the table's
        comment says the fill is done, and a fill cut short is simply run again.
        """
        rows = self.engine.query(
            "SELECT comment FROM system.tables WHERE database = {db:String} "
            "AND name = {name:String}",
            {"db": self.db, "name": CAMERA_HOURS},
        ).to_pylist()
        if rows and rows[0]["comment"] == CAMERA_HOURS_FILLED:
            return
        for ddl in camera_hours_ddl(self.db):
            self.engine.command(ddl)
        self.engine.command(f"INSERT INTO {self.db}.{CAMERA_HOURS} {camera_hours_select(self.db)}")
        self.engine.command(
            f"ALTER TABLE {self.db}.{CAMERA_HOURS} MODIFY COMMENT '{CAMERA_HOURS_FILLED}'"
        )

    def _rekey_reads(self) -> None:
        """Move a ``reads`` table sorted by an older key (without the owner, or with every
        read's id stored) to the current layout: a new table is filled from the old one
        and the two are exchanged atomically.

        A migration cut short leaves ``reads_rekeyed`` behind: before the exchange a partial
        copy, after it the old table (fully copied). Either way it is dropped and, if
        ``reads`` still has the old key, the migration starts again.
        """
        self.engine.command(f"DROP TABLE IF EXISTS {self.db}.{REKEYED} SYNC")
        table = self._table(READS)
        if table is None or (
            table["sorting_key"] == READ_IDENTITY and table["primary_key"] == READ_PRIMARY
            and has_current_layout(self.engine, READS)
        ):
            return
        if "MergeTree" not in table["engine"]:
            # a cluster's Distributed table: its shards hold reads_local
            local = self._table(f"{READS}_local")
            if local is not None and local["sorting_key"] != READ_IDENTITY:
                raise StoreError(
                    f"the cluster's `{READS}_local` is sorted by `{local['sorting_key']}`, "
                    f"not `{READ_IDENTITY}`; migrate it as docs/scale-out.md describes"
                )
            if local is not None and not has_current_layout(self.engine, f"{READS}_local"):
                missing = sorted(set(STORED_COLUMN_NAMES)
                                 - physical_columns(self.engine, f"{READS}_local"))
                raise StoreError(
                    f"the cluster's `{READS}_local` lacks the columns `{'`, `'.join(missing)}` "
                    "of the current layout; migrate it as docs/scale-out.md describes"
                )
            return
        ddl = reads_ddl(self.db, table=REKEYED, partition_by=table["partition_key"] or None)
        move_table(self.engine, READS, REKEYED, ddl)

    # -- writing -----------------------------------------------------------------------

    def add_reads(
        self,
        reads: Sequence[PlateRead],
        *,
        table: pa.Table | None = None,
        derived: Sequence[int] | None = None,
    ) -> Added:
        """Add reads without ever replacing or changing a stored one; the reads written are
        durable (fsynced) when this returns.

        The live rows with the batch's read ids are looked up first; a read whose id is
        stored with another owner or other evidence (another plate, camera or place too)
        is refused, an identical copy of a stored read is accepted and not written again
        (see `plateledger.store.identity`). Callers that write concurrently to one store
        must go through one writer (the ingest batcher) for the look-up to be decisive.
        ``table`` (the reads as `reads_to_arrow` makes them) and ``derived`` (the positions
        `derived_positions` gives) may be given where the caller made them already.
        """
        if not reads:
            return Added()
        if table is None:
            table = reads_to_arrow(reads)
        positions = derived_positions(reads) if derived is None else list(derived)
        keys: list[Key] = [r.read_id for r in reads]
        stored: dict[Key, set[Evidence]] = {}
        wanted = set(keys)
        for found in self._stored_copies(reads, table, positions):
            rows = zip(found.column("id").to_pylist(), evidence_rows(found), strict=True)
            for read_id, seen in rows:
                key = uuid.UUID(read_id)
                if key in wanted:
                    stored.setdefault(key, set()).add(seen)
        # Evidence is only compared where a key is stored or repeats within the batch.
        repeated = {k for k, n in Counter(keys).items() if n > 1}
        compare = [i for i, k in enumerate(keys) if k in stored or k in repeated]
        evidence: list[Evidence] = [()] * len(reads)
        compared = evidence_rows(table.take(pa.array(compare, pa.int64())))
        for position, seen in zip(compare, compared, strict=True):
            evidence[position] = seen
        write, refused = decide(keys, evidence, stored)
        if len(write) < len(reads):
            table = table.take(pa.array(write, pa.int64()))
        self.insert_arrow(table)
        return Added([reads[i] for i in write], refused)

    def _stored_copies(
        self, reads: Sequence[PlateRead], table: pa.Table, derived: Sequence[int]
    ) -> list[pa.Table]:
        """The live rows that may hold the ids of ``reads`` (the caller keeps those that
        do): for derived ids, the rows of the same plate and moment (the head of the sort
        key, so the look-up reads the granules of the batch's plates only, however long
        the history) — or, on an engine that cannot take the batch as a table, the rows
        with those ids within the batch's time range; clients' own ids anywhere
        (`plateledger.store.identity`)."""
        derived_ids = {reads[i].read_id for i in derived}
        taken = set(derived)
        own = sorted(
            {str(r.read_id) for i, r in enumerate(reads) if i not in taken
             and r.read_id not in derived_ids}
        )
        found = []
        if derived:
            by_key = getattr(self.engine, "query_keys", None)
            if by_key is not None:
                keys = table.select(["plate", "ts"]).take(pa.array(derived, pa.int64()))
                found.append(by_key(key_lookup_sql(self.db), keys))
            else:
                times = [reads[i].ts for i in derived]
                found.append(self.query(
                    lookup_sql("{db}", bounded=True),
                    {"ids": sorted(str(k) for k in derived_ids),
                     "lo": min(times), "hi": max(times)},
                ))
        if own:
            found.append(self.query(lookup_sql("{db}"), {"ids": own}))
        return found

    def insert_reads(self, reads: Sequence[PlateRead]) -> None:
        """Insert validated reads without looking for stored ones (see `add_reads`);
        durable (fsynced) when this returns."""
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
        for name in PERCENT_COLUMNS:
            # kept in one byte (`KEPT`): a value outside 0–1 would wrap, a NaN fail the batch
            column = table.column(name)
            inside = pc.and_(pc.greater_equal(column, 0.0), pc.less_equal(column, 1.0))
            if not pc.all(pc.fill_null(inside, False)).as_py():
                raise StoreError(f"`{name}` must be a number from 0 to 1 in every read of a "
                                 "bulk load (the store keeps it in whole percent)")
        add_to_dictionary(self.engine, distinct_plates(table))
        ids = pa.chunked_array(
            [to_clickhouse_uuid_bytes(chunk) for chunk in table.column("read_id").chunks],
            pa.binary(16),
        )
        table = table.set_column(0, ARROW_SCHEMA.field("read_id"), ids)
        self.engine.insert_arrow(READS, table.rename_columns(insert_columns(table.column_names)))

    # -- reading -----------------------------------------------------------------------

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run SQL in which ``{db}`` names the store's database."""
        return self.engine.query(sql.replace("{db}", self.db), params)

    def settings_clause(self, **settings: int) -> str:
        """`` SETTINGS name = value, …`` for those of ``settings`` this engine knows (an older
        ClickHouse server refuses a setting it does not have); empty if none."""
        known = self._known_settings
        if known is None:
            table = self.engine.query("SELECT name FROM system.settings")
            known = frozenset(str(n) for n in table.column("name").to_pylist())
            self._known_settings = known
        chosen = [f"{name} = {int(value)}" for name, value in settings.items() if name in known]
        return " SETTINGS " + ", ".join(chosen) if chosen else ""

    def by_camera(self) -> str:
        """What to read reads by camera and time from, in a ``FROM`` clause: the ``by_camera``
        projection itself (``mergeTreeProjection``) where ``reads`` is a MergeTree table that
        has it and the engine has that function, else the table (whose planner then picks
        the projection).

        Read through the table, the planner also analyses the main key ``(plate, ts, …)``
        against a condition on cameras and times, an analysis that cannot exclude a
        granule (at 10 M reads a convoy's plan took ~19 ms of CPU instead of ~47). The
        projection holds every row of every part (it is in the table's definition, so
        each insert, merge and mutation writes it), so reading it directly gives the same
        rows."""
        if self._by_camera is None:
            source = f"{self.db}.{READS}"
            table = self._table(READS)
            try:
                known = self.engine.query(
                    "SELECT (SELECT count() FROM system.table_functions "
                    "WHERE name = 'mergeTreeProjection') AS f, (SELECT count() FROM "
                    "system.projections WHERE database = {db:String} AND table = {t:String} "
                    "AND name = 'by_camera') AS p",
                    {"db": self.db, "t": READS},
                ).to_pylist()[0]
            except StoreError:  # a server older than either
                known = {"f": 0, "p": 0}
            if table and "MergeTree" in table["engine"] and known["f"] and known["p"]:
                source = projection_source(self.db)
            self._by_camera = source
        return self._by_camera

    def count(self, *, include_expired: bool = False) -> int:
        where = "" if include_expired else "WHERE expires_at > now()"
        table = self.query(f"SELECT uniqExact({READ_IDENTITY}) AS n FROM {{db}}.{READS} {where}")
        return int(table.column("n")[0].as_py())

    def disk_usage(self) -> dict[str, int]:
        """Bytes on disk and rows of each table's active parts."""
        table = self.query(
            "SELECT table, sum(bytes_on_disk) AS bytes, sum(rows) AS rows FROM system.parts "
            "WHERE database = {database:String} AND active GROUP BY table",
            {"database": self.db},
        )
        return {row["table"]: int(row["bytes"]) for row in table.to_pylist()}

    def optimize(self, *, attempts: int = 3) -> None:
        """Merge each partition's parts into one (collapses retried duplicates); for
        benchmarks and maintenance.

        ``OPTIMIZE … FINAL`` quietly does nothing for a partition whose parts a background
        merge holds at that moment (a 100 M-read load was left with 16 parts in one
        partition): a partition left with several parts is optimized again, up to
        ``attempts`` times in all.
        """
        for table in (READS, PLATES, PLATE_VARIANTS, CAMERA_HOURS):
            self.engine.command(f"OPTIMIZE TABLE {self.db}.{table} FINAL")
        for _ in range(attempts - 1):
            split = (
                self.query(
                    "SELECT partition_id FROM system.parts WHERE database = {database:String} "
                    "AND table = {table:String} AND active GROUP BY partition_id "
                    "HAVING count() > 1 ORDER BY partition_id",
                    {"database": self.db, "table": READS},
                )
                .column("partition_id")
                .to_pylist()
            )
            if not split:
                return
            for partition in split:
                self.engine.command(
                    f"OPTIMIZE TABLE {self.db}.{READS} PARTITION ID '{partition}' FINAL"
                )
