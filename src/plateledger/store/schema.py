"""The read store's schema: one definition for chDB, a ClickHouse server and a cluster.

Reads are sorted by normalised plate then time, so an exact lookup touches one granule
range. Parts are kept in ClickHouse's compact format (all columns in one file): a point
lookup in a wide part opens two files per column and per part, which measured 9.5 ms
against 4.2 ms compact at 10 M reads; the compact part was 3 % larger.

Partitions are monthly by default: a partition per day made exact lookups ~6x slower at
100 M reads (the figure the project started from; not re-measured here), and retention
purges whole partitions, so the partition is as coarse as the
shortest retention clock allows (see `partition_expression`).

A read's identity is its owner and its id: the sort key is ``(plate, ts, owner_id,
camera_id, stored_id)`` (`READ_KEY`), so the ReplacingMergeTree collapses only copies of
one owner's read (retried batches) and never one agency's row into another's.

A read id the server derived from camera, time and plate (`plateledger.read.derive_read_id`)
is not stored: it is 16 random-looking bytes that no codec shrinks, a fifth of a read's
bytes in the table and again in the camera projection. ``stored_id`` holds the nil UUID
for such a read and the id itself for any other (a client's own id, scoped to its owner);
``read_id`` is an ``ALIAS`` that computes the derived id where ``stored_id`` is nil, so every
query reads ``read_id`` as before. A batch names its ids in the ephemeral ``read_id_in``
(`insert_columns`); ClickHouse keeps the id only where it is not the one it derives itself,
so what ``read_id`` returns is always the id that was inserted. A nil id inserted (the
simulator's bulk batches) is a read whose id the store derives. The raw plate is kept
only where normalising changed it, the arrival as whole seconds after the read's time and
the confidences in whole percent (`KEPT`): each column reads back as it was inserted, to
those steps (`percent` rounds as the store does). Ingest stamps a read's expiry down to
the minute (`expiry_stamp`).

Every computed column costs each query that names it time to plan (ClickHouse analyses
the expression per query: ~2 ms for ``read_id``'s SHA-1, ~0.8 ms for an expiry computed
from an offset, measured at 10 M reads), so the searches' own queries name only kept
columns — results select `SHOWN`'s kept forms and make the id and raw plate in Python
(`plateledger.search.keyed`), ties are ordered by `TIE` — and the expiry, which every
query filters on, stays a column of its own. Queries collapse
exactly what a merge would (``LIMIT 1 BY`` the whole key, `READ_IDENTITY`), so a retry
never shows twice even before a merge and no owner's row can hide or count for
another's. The owner sits after the time: an exact lookup still narrows on the plate,
and rows of one plate stay in time order whoever owns them.

Ingest never lets a stored read change: `plateledger.store.identity` refuses a read
whose id is already stored for its plate with another owner or other content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import pyarrow as pa

from plateledger.read import READ_NAMESPACE

READS = "reads"
PLATES = "plates"
PLATE_VARIANTS = "plate_variants"
CAMERA_HOURS = "camera_hours"
CAMERA_HOURS_VIEW = "camera_hours_mv"
CAMERA_HOURS_FILLED = "filled from reads"
"""The comment ``camera_hours`` carries once every stored read is summarised in it."""

Partitioning = Literal["month", "week", "day"]

READ_KEY: tuple[str, ...] = ("plate", "ts", "owner_id", "camera_id", "stored_id")
"""The sort key of ``reads``: the rows a merge collapses are those equal on all of it."""

READ_PRIMARY = "plate, ts"
"""The prefix of `READ_KEY` the table's primary index holds. Every plate look-up narrows on
the plate (and time); the rest of the key only orders and collapses rows. chDB reads the
index anew for each query: with the camera (a ``LowCardinality`` string) and the id in it,
a plate query took ~0.7 ms more (3.5 against 2.8 ms, 10 M reads, alternating, by hand)."""

READ_IDENTITY = ", ".join(READ_KEY)
"""`READ_KEY` as SQL, for ``LIMIT 1 BY`` and ``uniqExact(...)``: one stored read.

A derived id is a function of camera, time and plate, so two rows equal on the key hold
the same id: the key names one read exactly as ``(plate, ts, owner_id, read_id)`` did."""

TIE = "owner_id, camera_id, stored_id"
"""What orders reads of one time: the rest of `READ_KEY`, kept columns only."""

NIL_ID = "toUUID('00000000-0000-0000-0000-000000000000')"


def derived_id_sql(camera: str = "camera_id", ts: str = "ts", plate: str = "plate") -> str:
    """`plateledger.read.derive_read_id` in ClickHouse SQL: the RFC 4122 version-5 UUID
    of ``camera\x1fmillis\x1fplate`` in `plateledger.read.READ_NAMESPACE`."""
    # `materialize`: a folded constant would put the namespace's raw bytes into plans and
    # error messages, which must stay text
    digest = (f"SHA1(concat(unhex(materialize('{READ_NAMESPACE.hex}')), {camera}, '\\x1f', "
              f"toString(toUnixTimestamp64Milli({ts})), '\\x1f', {plate}))")
    return (
        "toUUID(UUIDNumToString(toFixedString(concat("
        f"substring({digest}, 1, 6), "
        f"char(bitOr(bitAnd(reinterpretAsUInt8(substring({digest}, 7, 1)), 15), 80)), "
        f"substring({digest}, 8, 1), "
        f"char(bitOr(bitAnd(reinterpretAsUInt8(substring({digest}, 9, 1)), 63), 128)), "
        f"substring({digest}, 10, 7)), 16)))"
    )


STORED_ID = "stored_id"
"""The physical column of a read's id: nil where the id is the derived one."""
READ_ID_IN = "read_id_in"
"""The ephemeral column an insert names a read's id in (see the module docstring)."""


@dataclass(frozen=True)
class Kept:
    """A read column the table keeps in a smaller form, computed back on every read.

    An insert names the column's value in the ephemeral ``{column}_in``; ``keep`` (SQL over
    it and the read's other columns) is what is stored in ``stored``, and ``column`` is an
    ``ALIAS`` whose ``read`` gives back exactly the value inserted.
    """

    column: str
    ctype: str
    stored: str
    stored_type: str
    codec: str
    keep: str
    read: str

    @property
    def given(self) -> str:
        return f"{self.column}_in"

    def ddl(self) -> list[str]:
        return [
            f"`{self.given}` {self.ctype} EPHEMERAL",
            f"`{self.stored}` {self.stored_type} DEFAULT {self.keep} CODEC({self.codec})",
            f"`{self.column}` {self.ctype} ALIAS {self.read}",
        ]


_MILLIS = "toUnixTimestamp64Milli(ts)"


def percent(confidence: float) -> float:
    """``confidence`` (0–1) to the whole percent the store keeps (`KEPT`): a read's and
    its region's confidences are kept in one byte each. At 2 M simulated reads the two
    took 6.6 bytes a read as floats in the table and 4.0 more in the ``by_camera``
    projection; a camera's confidence is a ranking, and no search filters on it.

    Rounded as ClickHouse rounds the single-precision value it is given (half to even on
    ``float32(confidence) * 100``), so a read rounded here and one rounded by the store
    (a bulk load, a store moved from the layout before) agree: 0.865 is 0.87 both ways."""
    return float(percents([confidence])[0])


def percents(confidences: Sequence[float]) -> np.ndarray:
    """`percent` of each value, column-wise (ingest rounds a batch's confidences at once:
    ~20 µs for 1,000 reads where one call a read took ~400)."""
    wide = np.asarray(confidences, dtype=np.float32).astype(np.float64)
    result: np.ndarray = np.round(wide * 100) / 100  # half to even, as ClickHouse
    return result


PERCENT_COLUMNS: tuple[str, ...] = ("confidence", "region_confidence")
"""The read columns the store keeps in whole percent (`KEPT`)."""


KEPT: dict[str, Kept] = {k.column: k for k in (
    Kept("read_id", "UUID", STORED_ID, "UUID", "ZSTD(3)",
         f"if({READ_ID_IN} = {NIL_ID} OR {READ_ID_IN} = {derived_id_sql()}, {NIL_ID}, "
         f"{READ_ID_IN})",
         f"if({STORED_ID} = {NIL_ID}, {derived_id_sql()}, {STORED_ID})"),
    # the camera's text where normalising changed it, else nothing
    Kept("plate_raw", "String", "plate_raw_kept", "String", "ZSTD(3)",
         "if(plate_raw_in = plate, '', plate_raw_in)",
         "if(plate_raw_kept = '', plate, plate_raw_kept)"),
    # confidences in whole percent: one byte each, where a float took 3.3 (`percent`)
    *(Kept(name, "Float32", f"{name}_pct", "UInt8", "ZSTD(3)",
           f"toUInt8(round({name}_in * 100))", f"toFloat32({name}_pct / 100)")
      for name in PERCENT_COLUMNS),
    # the arrival as whole seconds after the read's time (toward it): a few values, which
    # compress (its milliseconds took 0.9 bytes a read at 10 M)
    Kept("received_at", "DateTime64(3, 'UTC')", "received_after_ms", "Int64", "T64, ZSTD(3)",
         f"intDiv(toUnixTimestamp64Milli(received_at_in) - {_MILLIS}, 1000) * 1000",
         f"fromUnixTimestamp64Milli({_MILLIS} + received_after_ms, 'UTC')"),
)}
"""The columns a table of reads keeps in another form (`Kept`)."""

READ_COLUMNS: tuple[tuple[str, str], ...] = (
    ("read_id", "UUID"),
    ("owner_id", "UInt32"),
    ("origin_state", "LowCardinality(String)"),
    ("camera_id", "LowCardinality(String)"),
    ("ts", "DateTime64(3, 'UTC') CODEC(Delta, ZSTD(3))"),
    ("plate_raw", "String CODEC(ZSTD(3))"),
    ("plate", "String CODEC(ZSTD(3))"),
    ("plate_key", "String CODEC(ZSTD(3))"),
    ("region", "LowCardinality(String)"),
    ("region_confidence", "Float32 CODEC(ZSTD(3))"),
    ("confidence", "Float32 CODEC(ZSTD(3))"),
    ("lat", "Float32 CODEC(ZSTD(3))"),
    ("lon", "Float32 CODEC(ZSTD(3))"),
    ("heading", "Int16 CODEC(ZSTD(3))"),
    ("vehicle_color", "LowCardinality(String)"),
    ("vehicle_make", "LowCardinality(String)"),
    ("vehicle_model", "LowCardinality(String)"),
    ("vehicle_type", "LowCardinality(String)"),
    ("image_plate", "String CODEC(ZSTD(3))"),
    ("image_overview", "String CODEC(ZSTD(3))"),
    ("received_at", "DateTime64(3, 'UTC') CODEC(Delta, ZSTD(3))"),
    ("expires_at", "DateTime('UTC') CODEC(Delta, ZSTD(3))"),
    ("hit", "UInt8"),
)
"""Column name and ClickHouse type, in insert order.

Unknown numbers are stored as sentinels rather than NULLs (cheaper to store and to
filter): ``lat``/``lon`` NaN, ``heading`` -1, strings empty.
"""

READ_COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in READ_COLUMNS)
"""Every column of a read as queries see it (``read_id`` computed where not stored)."""

READ_SELECT = ", ".join(f"`{name}`" for name in (*READ_COLUMN_NAMES, STORED_ID))
"""`READ_COLUMN_NAMES` as a select list (what ``SELECT *`` was: it leaves out an alias),
and ``stored_id``, which orders ties (`TIE`)."""

STORED_COLUMN_NAMES: tuple[str, ...] = tuple(
    KEPT[name].stored if name in KEPT else name for name in READ_COLUMN_NAMES)
"""The columns a table of reads keeps: what a copy between two such tables moves."""


def insert_columns(names: tuple[str, ...] | list[str]) -> list[str]:
    """The column list of an insert of ``names`` (read columns): a column kept in another
    form is written to its ephemeral ``…_in`` (`Kept`)."""
    return [KEPT[name].given if name in KEPT else name for name in names]


def read_columns_ddl() -> str:
    """The column definitions of a table of reads (``reads``, its copies, ``held_reads``)."""
    out: list[str] = []
    for name, ctype in READ_COLUMNS:
        out.extend(KEPT[name].ddl() if name in KEPT else [f"`{name}` {ctype}"])
    return ",\n    ".join(out)


NOT_PROJECTED: frozenset[str] = frozenset({"plate_key", "received_at", "region_confidence"})
"""Columns the ``by_camera`` projection leaves out: no search by camera and time shows
them or filters on them (a result shows `plateledger.search.keyed.SHOWN`), so a copy of
them sorted by camera only took room. At 10 M reads the projection held 46.6 bytes a read
with every column and 36.7 without these three (the whole table 87.5 → 76.4)."""

PROJECTED_COLUMNS: tuple[str, ...] = tuple(
    KEPT[name].stored if name in KEPT else name
    for name in READ_COLUMN_NAMES if name not in NOT_PROJECTED)
"""The columns of the ``by_camera`` projection, sorted by ``(camera_id, ts)``: what every
search by camera and time (area, stakeout, convoy) reads. A query that asks for another
column is answered from the main table instead (a scan of the window's partitions). A
store made before keeps its projection of every column, which answers the same queries."""

ARROW_SCHEMA = pa.schema(
    [
        pa.field("read_id", pa.binary(16)),
        pa.field("owner_id", pa.uint32()),
        pa.field("origin_state", pa.string()),
        pa.field("camera_id", pa.string()),
        pa.field("ts", pa.timestamp("ms", tz="UTC")),
        pa.field("plate_raw", pa.string()),
        pa.field("plate", pa.string()),
        pa.field("plate_key", pa.string()),
        pa.field("region", pa.string()),
        pa.field("region_confidence", pa.float32()),
        pa.field("confidence", pa.float32()),
        pa.field("lat", pa.float32()),
        pa.field("lon", pa.float32()),
        pa.field("heading", pa.int16()),
        pa.field("vehicle_color", pa.string()),
        pa.field("vehicle_make", pa.string()),
        pa.field("vehicle_model", pa.string()),
        pa.field("vehicle_type", pa.string()),
        pa.field("image_plate", pa.string()),
        pa.field("image_overview", pa.string()),
        pa.field("received_at", pa.timestamp("ms", tz="UTC")),
        pa.field("expires_at", pa.timestamp("s", tz="UTC")),
        pa.field("hit", pa.uint8()),
    ]
)
"""The Arrow layout of a batch of reads, as bulk loaders (the simulator) hand it to the store.

``read_id`` is the UUID's 16 bytes in RFC 4122 (big-endian) order; the store converts
them to ClickHouse's own layout (two little-endian 64-bit halves) on insert.
"""


DEFAULT_CODEC = "ZSTD(3)"
"""The codec of every column of ``reads`` that names none, and of the whole ``by_camera``
projection: ClickHouse writes a projection's columns with the table's default codec, never
with the columns' own (LZ4 unless this is set). At 2 M simulated reads the projection took
26.1 bytes a read under LZ4 and 18.2 under ZSTD(1), the table with it 49.6 and 39.5; every
column at level 3 instead of 1 took 2.1 bytes a read less at 10 M (by hand, copies of one
table; ``docs/benchmarks.md``, "Compression")."""

GRANULARITY = 4096
"""Rows a granule of ``reads`` holds. A compact part compresses each column of each granule
on its own, so larger granules compress better, and a look-up decompresses more: at 10 M
reads (copies of one table, by hand, 300 queries each interleaved in one process) 2,048,
4,096 and 8,192 rows took 25.2, 23.9 and 23.2 bytes a read, one plate's page query 10.1,
10.4 and 11.0 ms, five plates' 12.7, 13.6 and 15.4 ms, an hour of one camera 11.2, 10.9 and
10.7 ms. Smaller granules did not make exact look-ups faster (``docs/benchmarks.md``). A
store moved from a layout before takes them with the new table."""

EXPIRY_STEP_S = 60
"""A read's expiry is stamped to the minute, rounded down (`expiry_stamp`): at 10 M reads
its seconds took 2.4 bytes a read in the table and its projection together."""


def expiry_stamp(moment: datetime) -> datetime:
    """``moment`` (a read's expiry) rounded down to its whole minute: retention laws set
    the longest a read may be kept, so a read leaves searches up to a minute before its
    clock runs out, never after it (and a read that may never be searchable, stamped at
    its arrival, stays unsearchable)."""
    return moment - timedelta(seconds=moment.second, microseconds=moment.microsecond)


def partition_expression(partitioning: Partitioning) -> str:
    return {
        "month": "toYYYYMM(ts)",
        "week": "toMonday(ts)",
        "day": "toYYYYMMDD(ts)",
    }[partitioning]


def partitioning_for_retention(shortest_days: int | None) -> Partitioning:
    """Monthly unless some agency keeps reads for less than a month.

    A purge drops whole partitions; with a 21-day clock, monthly partitions would keep
    expired reads on disk for up to seven weeks (they are never returned, but they exist).
    """
    if shortest_days is None or shortest_days >= 60:
        return "month"
    if shortest_days >= 14:
        return "week"
    return "day"


def reads_ddl(
    database: str,
    *,
    partitioning: Partitioning = "month",
    engine: str = "ReplacingMergeTree",
    table: str = READS,
    partition_by: str | None = None,
) -> str:
    """``partition_by`` (an expression) overrides ``partitioning``: a migration keeps the
    partitioning the table was made with."""
    partition = partition_by or partition_expression(partitioning)
    cols = read_columns_ddl()
    projected = ", ".join(f"`{name}`" for name in PROJECTED_COLUMNS)
    return f"""CREATE TABLE IF NOT EXISTS {database}.{table}
(
    {cols},
    PROJECTION by_camera
    (
        SELECT {projected}
        ORDER BY camera_id, ts
    ),
    INDEX stored_id_bloom stored_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {engine}
PARTITION BY {partition}
PRIMARY KEY ({READ_PRIMARY})
ORDER BY ({READ_IDENTITY})
SETTINGS index_granularity = {GRANULARITY},
         deduplicate_merge_projection_mode = 'rebuild',
         fsync_after_insert = 1,
         fsync_part_directory = 1,
         min_bytes_for_wide_part = 1000000000000,
         min_rows_for_wide_part = 1000000000000,
         default_compression_codec = '{DEFAULT_CODEC}'"""


def plates_ddl(
    database: str,
    *,
    engine: str = "ReplacingMergeTree",
    on_cluster: str = "",
) -> list[str]:
    """The dictionary of distinct plates and its one-deletion neighbourhood.

    Fuzzy search looks candidates up here (a few thousand rows at most) and then fetches
    reads by primary key, instead of scanning reads. The store fills both on every insert
    (`plateledger.store.dictionary`).
    """
    on = f" ON CLUSTER {on_cluster}" if on_cluster else ""
    return [
        f"""CREATE TABLE IF NOT EXISTS {database}.{PLATES}{on}
(
    `plate` String,
    `plate_key` String
)
ENGINE = {engine}
ORDER BY (plate_key, plate)""",
        f"""CREATE TABLE IF NOT EXISTS {database}.{PLATE_VARIANTS}{on}
(
    `variant` String,
    `plate` String
)
ENGINE = {engine}
ORDER BY (variant, plate)""",
    ]


def camera_hours_ddl(
    database: str,
    *,
    engine: str = "AggregatingMergeTree",
    on_cluster: str = "",
    table: str = CAMERA_HOURS,
    source: str = READS,
) -> list[str]:
    """Where each camera read in each hour: the box around its placed reads.

    A stakeout looks up the cameras whose box in an area's hours meets the area's box
    here (a few thousand rows an hour at most), then fetches reads by camera and time from
    the ``by_camera`` projection, instead of testing the place of every read in the
    window: mobile cameras are boxes, not points. A materialized view fills it on every
    insert into ``reads`` (`ReadStore.ensure_schema` fills it once from the stored reads);
    reads without a place are left out, as no area holds them. It may hold more than the
    reads (expired, purged or truncated ones), never less.
    """
    on = f" ON CLUSTER {on_cluster}" if on_cluster else ""
    # One view name everywhere: on a cluster the shards' view on reads_local is the one
    # `ReadStore.ensure_schema` finds, so it makes no second view on the Distributed reads.
    view = CAMERA_HOURS_VIEW
    return [
        f"""CREATE TABLE IF NOT EXISTS {database}.{table}{on}
(
    `hour` DateTime('UTC'),
    `camera_id` LowCardinality(String),
    `south` SimpleAggregateFunction(min, Float32),
    `north` SimpleAggregateFunction(max, Float32),
    `west` SimpleAggregateFunction(min, Float32),
    `east` SimpleAggregateFunction(max, Float32)
)
ENGINE = {engine}
ORDER BY (hour, camera_id)""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.{view}{on}
TO {database}.{table} AS {camera_hours_select(database, source)}""",
    ]


def camera_hours_select(database: str, source: str = READS) -> str:
    """The summary rows of ``source`` (the view's query, and the fill of an existing store)."""
    return (
        "SELECT toStartOfHour(ts) AS hour, camera_id, min(lat) AS south, max(lat) AS north, "
        f"min(lon) AS west, max(lon) AS east FROM {database}.{source} "
        "WHERE NOT isNaN(lat) AND NOT isNaN(lon) GROUP BY hour, camera_id"
    )


def replicated_engine(database: str, kind: str = "ReplacingMergeTree") -> str:
    """The replicated ``kind`` engine of a cluster's shard tables (one path per table)."""
    return f"Replicated{kind}('/clickhouse/tables/{{shard}}/{database}/{{table}}', '{{replica}}')"


def cluster_ddl(database: str, cluster: str, *, partitioning: Partitioning = "month") -> list[str]:
    """The same schema for a ClickHouse cluster.

    Each shard keeps ``reads_local`` (ReplicatedMergeTree); ``reads`` is a Distributed table
    sharded by the plate's confusion key, so every spelling a camera made of one plate lands
    on one shard and a fuzzy search can be answered shard-locally.
    """
    on = f"ON CLUSTER {cluster}"
    replicated = replicated_engine(database)
    local_reads = reads_ddl(
        database, partitioning=partitioning, engine=replicated, table=f"{READS}_local"
    ).replace(f"{database}.{READS}_local", f"{database}.{READS}_local {on}", 1)
    statements = [f"CREATE DATABASE IF NOT EXISTS {database} {on}", local_reads]
    statements.append(
        f"CREATE TABLE IF NOT EXISTS {database}.{READS} {on} AS {database}.{READS}_local\n"
        f"ENGINE = Distributed({cluster}, {database}, {READS}_local, cityHash64(plate_key))"
    )
    # Each shard keeps the plate dictionary of its own reads; the Distributed table over
    # reads_local routes a plate's whole confusion class to one shard.
    statements.extend(plates_ddl(database, engine=replicated, on_cluster=cluster))
    # Each shard summarises its own reads (a view on reads_local); a stakeout reads the
    # summary of all shards through a Distributed table. The store fills it once from the
    # reads when it first opens (`ReadStore.ensure_schema`), as on one server.
    statements.extend(camera_hours_ddl(
        database,
        engine=replicated_engine(database, "AggregatingMergeTree"),
        on_cluster=cluster,
        table=f"{CAMERA_HOURS}_local",
        source=f"{READS}_local",
    ))
    statements.append(
        f"CREATE TABLE IF NOT EXISTS {database}.{CAMERA_HOURS} {on} "
        f"AS {database}.{CAMERA_HOURS}_local\n"
        f"ENGINE = Distributed({cluster}, {database}, {CAMERA_HOURS}_local, "
        "cityHash64(camera_id))"
    )
    return statements
