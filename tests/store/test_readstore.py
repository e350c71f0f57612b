import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plateledger.store import ReadStore, StoreError
from plateledger.store.arrow import reads_to_arrow, rows_to_reads
from plateledger.store.schema import (
    ARROW_SCHEMA,
    READ_SELECT,
    camera_hours_ddl,
    cluster_ddl,
    partitioning_for_retention,
)
from tests.factories import make_read


def test_a_read_comes_back_exactly_as_stored(store: ReadStore) -> None:
    read = make_read("8ABC123", heading=182.0, vehicle={"color": "silver", "make": "toyota"})
    store.insert_reads([read])
    [back] = rows_to_reads(store.query(f"SELECT {READ_SELECT} FROM {{db}}.reads"))
    assert back.read_id == read.read_id
    assert back.ts == read.ts
    assert back.plate == "8ABC123"
    assert back.plate_key == "8A8C123"
    assert back.owner_id == read.owner_id and back.origin_state == "CA"
    assert back.heading == 182.0
    assert back.vehicle.color == "silver"
    assert back.lat == pytest.approx(37.59, abs=1e-5)


def test_arrow_batches_keep_uuid_bytes_in_rfc_order(store: ReadStore) -> None:
    reads = [make_read(p) for p in ("1AAA111", "2BBB222", "3CCC333")]
    table = reads_to_arrow(reads)
    assert table.schema.equals(ARROW_SCHEMA)
    store.insert_arrow(table)
    ids = {r.read_id for r in rows_to_reads(store.query(f"SELECT {READ_SELECT} FROM {{db}}.reads"))}
    assert ids == {r.read_id for r in reads}


def test_a_retried_batch_never_counts_twice(store: ReadStore) -> None:
    batch = [make_read("8ABC123", minutes_ago=m) for m in (1, 2, 3)]
    store.insert_reads(batch)
    store.insert_reads(batch)  # the camera did not hear our acknowledgement and sent again
    assert store.count() == 3


def test_expired_reads_are_not_counted(store: ReadStore) -> None:
    now = datetime.now(UTC)
    store.insert_reads(
        [
            make_read("8ABC123", minutes_ago=60, keep_days=0.01, now=now),  # expired 45 min ago
            make_read("8ABC124", now=now),
        ]
    )
    assert store.count() == 1
    assert store.count(include_expired=True) == 2


def test_a_second_process_is_refused_the_data_directory(store: ReadStore, store_path: Path) -> None:
    code = (
        "from pathlib import Path\n"
        "from plateledger.store import ReadStore, StoreLocked\n"
        "try:\n"
        f"    ReadStore.open(data_dir=Path({str(store_path)!r}))\n"
        "except StoreLocked as exc:\n"
        "    print(exc)\n"
        "    raise SystemExit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "is in use by process" in done.stdout


def test_parameters_never_cross_between_threads(store: ReadStore) -> None:
    # One shared chDB connection returned another thread's parameter values; the store
    # gives each thread its own connection.
    wrong: list[tuple[int, int]] = []

    def ask(worker: int) -> None:
        for k in range(60):
            value = worker * 1000 + k
            got = store.query("SELECT {v:UInt32} AS v", {"v": value}).column("v")[0].as_py()
            if got != value:
                wrong.append((value, got))

    threads = [threading.Thread(target=ask, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_engine_errors_surface_as_store_errors(store: ReadStore) -> None:
    with pytest.raises(StoreError):
        store.query("SELECT * FROM {db}.no_such_table")


def test_parameters_with_quotes_and_backslashes_round_trip(store: ReadStore) -> None:
    row = store.query(
        "SELECT {s:String} AS s, {a:Array(String)} AS a",
        {"s": "it's a \\ test", "a": ["o'neil", "back\\slash"]},
    ).to_pylist()[0]
    assert row == {"s": "it's a \\ test", "a": ["o'neil", "back\\slash"]}


@pytest.mark.parametrize(
    ("days", "partitioning"), [(None, "month"), (365, "month"), (21, "week"), (3, "day")]
)
def test_partitioning_follows_the_shortest_retention(days: int | None, partitioning: str) -> None:
    assert partitioning_for_retention(days) == partitioning


def test_cluster_ddl_shards_reads_by_plate_key() -> None:
    ddl = "\n".join(cluster_ddl("plateledger", "alpr"))
    assert "ON CLUSTER alpr" in ddl
    assert "ReplicatedReplacingMergeTree" in ddl
    assert "Distributed(alpr, plateledger, reads_local, cityHash64(plate_key))" in ddl
    assert "fsync_after_insert = 1" in ddl


def test_cluster_ddl_summarises_camera_hours_on_each_shard() -> None:
    """Each shard's view summarises its own reads_local; a stakeout reads all shards'
    summaries through the Distributed camera_hours, and the view carries the name the
    store looks for, so opening the store makes no second view on the Distributed reads."""
    ddl = cluster_ddl("plateledger", "alpr")
    [view] = [s for s in ddl if "MATERIALIZED VIEW" in s]
    assert "plateledger.camera_hours_mv ON CLUSTER alpr" in view
    assert "TO plateledger.camera_hours_local" in view
    assert "FROM plateledger.reads_local" in view
    assert any(
        "ReplicatedAggregatingMergeTree" in s and "camera_hours_local" in s for s in ddl
    )
    assert any(
        "Distributed(alpr, plateledger, camera_hours_local, cityHash64(camera_id))" in s
        for s in ddl
    )


def test_store_ddl_prints_every_table_the_store_reads(store: ReadStore) -> None:
    """`plateledger store ddl` (one server) creates, in a fresh chDB, every table the
    store opens with: the reads, the plate dictionary, the camera-hours summary and the
    candidates and details."""
    from typer.testing import CliRunner

    from plateledger.cli.main import app

    out = CliRunner().invoke(app, ["store", "ddl", "--database", "ddlcheck"])
    assert out.exit_code == 0, out.output
    cluster = CliRunner().invoke(app, ["store", "ddl", "--cluster", "alpr"])
    assert cluster.exit_code == 0, cluster.output
    for table in ("read_candidates_local", "read_details_local", "camera_hours_local"):
        assert f"plateledger.{table} ON CLUSTER alpr" in cluster.output
    try:
        for statement in out.output.split(";\n"):
            if statement.strip():
                store.engine.command(statement.strip().rstrip(";"))
        tables = {
            r["name"]
            for r in store.query(
                "SELECT name FROM system.tables WHERE database = 'ddlcheck'"
            ).to_pylist()
        }
    finally:
        store.engine.command("DROP DATABASE IF EXISTS ddlcheck")
    assert {"reads", "plates", "plate_variants", "camera_hours", "camera_hours_mv",
            "read_candidates", "read_details"} <= tables


def test_a_settings_clause_names_only_settings_the_engine_knows(store: ReadStore) -> None:
    assert store.settings_clause(max_threads=1, no_such_setting_anywhere=3) == (
        " SETTINGS max_threads = 1"
    )
    assert store.settings_clause(no_such_setting_anywhere=3) == ""
    assert store.query("SELECT 1 AS x" + store.settings_clause(max_threads=1)).num_rows == 1


def _camera_hours(store: ReadStore) -> list[tuple[str, float, float]]:
    return [
        (r["camera_id"], round(r["s"], 4), round(r["n"], 4))
        for r in store.query(
            "SELECT camera_id, min(south) AS s, max(north) AS n FROM {db}.camera_hours "
            "GROUP BY camera_id ORDER BY camera_id"
        ).to_pylist()
    ]


def test_each_insert_summarises_where_each_camera_read(store: ReadStore) -> None:
    store.engine.command(f"TRUNCATE TABLE {store.db}.camera_hours")
    store.insert_reads(
        [
            make_read("1AAA111", camera="car-1", lat=37.10, lon=-122.0, minutes_ago=5),
            make_read("2BBB222", camera="car-1", lat=37.30, lon=-122.0, minutes_ago=4),
            make_read("3CCC333", camera="fix-1", lat=None, lon=None),
        ]
    )
    assert _camera_hours(store) == [("car-1", 37.1, 37.3)]


@pytest.mark.parametrize("cut_short", [False, True])
def test_a_store_made_before_the_camera_summary_is_filled_when_opened(
    store: ReadStore, cut_short: bool
) -> None:
    store.engine.command(f"TRUNCATE TABLE {store.db}.camera_hours")
    store.insert_reads([make_read("1AAA111", camera="cam-9", lat=37.5, lon=-122.0)])
    store.engine.command(f"DROP VIEW {store.db}.camera_hours_mv SYNC")
    store.engine.command(f"DROP TABLE {store.db}.camera_hours SYNC")
    if cut_short:  # the table was made, and the fill did not finish
        store.engine.command(camera_hours_ddl(store.db)[0])
    reopened = ReadStore(store.engine)
    assert _camera_hours(reopened) == [("cam-9", 37.5, 37.5)]
    reopened.insert_reads([make_read("2BBB222", camera="cam-8", lat=37.6, lon=-122.0)])
    assert _camera_hours(reopened) == [("cam-8", 37.6, 37.6), ("cam-9", 37.5, 37.5)]
    ReadStore(store.engine)  # opened again: not filled twice
    assert store.query("SELECT count() AS n FROM {db}.camera_hours").column("n")[0].as_py() == 2


def test_optimize_leaves_one_part_a_partition(store: ReadStore) -> None:
    for minutes in (1, 2, 3):
        store.insert_reads([make_read("8ABC123", minutes_ago=minutes)])
    store.optimize()
    parts = store.query(
        "SELECT partition_id, count() AS n FROM system.parts WHERE database = {d:String} "
        "AND table = 'reads' AND active GROUP BY partition_id",
        {"d": store.db},
    ).to_pylist()
    assert parts and all(p["n"] == 1 for p in parts)
