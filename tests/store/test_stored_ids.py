"""A read id the server derived is computed, not stored; every other id is kept as it came,
and every query sees the id that was inserted."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from plateledger.read import READ_NAMESPACE, derive_read_id
from plateledger.search import Filters, OwnerLimit, Scope, search_area, search_exact
from plateledger.store import ReadStore, StoreError
from plateledger.store.arrow import reads_to_arrow, rows_to_reads, to_clickhouse_uuid_bytes
from plateledger.store.held import HELD_READS, ensure_held_table
from plateledger.store.schema import (
    READ_COLUMNS,
    READ_KEY,
    READ_PRIMARY,
    READ_SELECT,
    derived_id_sql,
)
from tests.factories import make_read, unique_plate

NIL = str(uuid.UUID(int=0))


def stored_ids(store: ReadStore, plate: str) -> dict[str, str]:
    rows = store.query(
        "SELECT toString(read_id) AS id, toString(stored_id) AS stored FROM {db}.reads "
        "WHERE plate = {p:String}", {"p": plate},
    ).to_pylist()
    return {r["id"]: r["stored"] for r in rows}


def test_a_derived_id_is_not_stored_and_reads_back_as_it_was(store: ReadStore) -> None:
    read = make_read(unique_plate())
    assert read.read_id == derive_read_id(read.camera_id, read.ts, read.plate)
    store.add_reads([read])
    assert stored_ids(store, read.plate) == {str(read.read_id): NIL}


def test_a_clients_own_id_is_kept_as_it_came(store: ReadStore) -> None:
    read = make_read(unique_plate(), read_id=uuid.uuid4())
    store.add_reads([read])
    assert stored_ids(store, read.plate) == {str(read.read_id): str(read.read_id)}


def test_a_nil_id_is_given_the_id_ingest_would_derive(store: ReadStore) -> None:
    read = make_read(unique_plate())
    table = reads_to_arrow([read])
    nil = pa.array([bytes(16)], pa.binary(16))
    store.insert_arrow(table.set_column(0, "read_id", nil))
    assert stored_ids(store, read.plate) == {str(read.read_id): NIL}


def test_an_id_that_is_not_the_derived_one_is_never_replaced_by_it(store: ReadStore) -> None:
    # the derived id of another moment: what the store computes would differ, so it keeps it
    read = make_read(unique_plate())
    other = derive_read_id(read.camera_id, read.ts - timedelta(seconds=1), read.plate)
    store.insert_reads([read.model_copy(update={"read_id": other})])
    assert stored_ids(store, read.plate) == {str(other): str(other)}


@pytest.mark.parametrize(
    ("camera", "plate"),
    [("cam-1", "7ABC123"), ("Kamera Süd/3", "ÄB1234"), ("", "X"), ("a\x1fb", "AB\x1f1")],
)
def test_the_sql_derivation_is_the_python_one(store: ReadStore, camera: str, plate: str) -> None:
    for moment in (datetime(1969, 12, 31, 23, 59, 59, 1000, tzinfo=UTC),
                   datetime(2026, 12, 7, 8, 1, 2, 345000, tzinfo=UTC)):
        millis = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
        derived = derived_id_sql(
            "{c:String}", "fromUnixTimestamp64Milli({t:Int64}, 'UTC')", "{p:String}")
        got = store.query(
            f"SELECT toString({derived}) AS id", {"c": camera, "t": millis, "p": plate},
        ).column("id")[0].as_py()
        assert got == str(uuid.uuid5(READ_NAMESPACE, f"{camera}\x1f{millis}\x1f{plate}"))


def test_searches_by_plate_and_by_camera_name_each_read_by_its_id(store: ReadStore) -> None:
    plate = unique_plate()
    derived = make_read(plate, camera="cam-ids", minutes_ago=3.0)
    chosen = make_read(plate, camera="cam-ids", minutes_ago=2.0, read_id=uuid.uuid4())
    store.add_reads([derived, chosen])
    scope = Scope({1: OwnerLimit()})
    by_plate = search_exact(store, plate, scope, Filters())
    assert [r.read_id for r in by_plate.results] == [chosen.read_id, derived.read_id]
    window = Filters(since=derived.ts - timedelta(seconds=1), until=chosen.ts,
                     cameras=("cam-ids",))
    by_camera = search_area(store, scope, window)
    assert {r.read_id for r in by_camera.results} == {chosen.read_id, derived.read_id}


def test_two_reads_of_one_plate_and_moment_by_two_cameras_stay_two(store: ReadStore) -> None:
    # the derived id names the camera: the key holds it, so a merge keeps both
    plate = unique_plate()
    one = make_read(plate, camera="cam-front")
    two = make_read(plate, camera="cam-rear", now=one.received_at)
    assert one.ts == two.ts and one.read_id != two.read_id
    store.add_reads([one, two])
    store.optimize()
    assert set(stored_ids(store, plate)) == {str(one.read_id), str(two.read_id)}


def test_every_column_kept_in_another_form_reads_back_as_it_was_inserted(
    store: ReadStore,
) -> None:
    plate = unique_plate()
    moment = datetime(2026, 12, 6, 23, 59, 59, 999000, tzinfo=UTC)
    misread = make_read(plate, now=moment).model_copy(
        update={"plate_raw": f"{plate[:3]}-{plate[3:].lower()}"})
    late = make_read(plate, now=moment, camera="cam-late").model_copy(update={
        "received_at": moment + timedelta(days=3, seconds=1),  # kept in whole seconds
        "expires_at": datetime(2099, 1, 1, tzinfo=UTC),
    })
    assert misread.plate_raw != misread.plate
    store.add_reads([misread, late])
    rows = store.query(
        f"SELECT {READ_SELECT}, plate_raw_kept, received_after_ms "
        "FROM {db}.reads WHERE plate = {p:String} ORDER BY camera_id",
        {"p": plate},
    )
    back = {r.read_id: r for r in rows_to_reads(rows)}
    for read in (misread, late):
        # as a table of reads takes it (the expiry in whole seconds, as it always was)
        [sent] = rows_to_reads(reads_to_arrow([read]))
        assert back[read.read_id] == sent
    # the raw plate only where normalising changed it
    kept = {r["camera_id"]: r["plate_raw_kept"] for r in rows.to_pylist()}
    assert kept == {misread.camera_id: misread.plate_raw, "cam-late": ""}


def test_a_held_reads_table_made_before_is_moved_to_the_current_layout(
    store: ReadStore,
) -> None:
    read = make_read(unique_plate(), read_id=uuid.uuid4())
    derived = make_read(read.plate, camera="cam-other")
    store.engine.command(f"DROP TABLE IF EXISTS {store.db}.{HELD_READS} SYNC")
    columns = ",\n".join(f"`{name}` {ctype}" for name, ctype in READ_COLUMNS)
    store.engine.command(
        f"CREATE TABLE {store.db}.{HELD_READS} ({columns}, `hold_id` String, "
        "`held_at` DateTime('UTC')) ENGINE = ReplacingMergeTree "
        "ORDER BY (hold_id, plate, ts, read_id)")
    table = reads_to_arrow([read, derived])
    ids = to_clickhouse_uuid_bytes(table.column("read_id").combine_chunks())
    table = table.set_column(0, "read_id", ids)
    table = table.append_column("hold_id", pa.array(["hold-1", "hold-1"]))
    table = table.append_column("held_at", pa.array([read.received_at] * 2))
    store.engine.insert_arrow(HELD_READS, table)

    ensure_held_table(store)

    rows = store.query(
        f"SELECT {READ_SELECT}, hold_id FROM {{db}}.{HELD_READS} ORDER BY camera_id")
    assert rows.column("hold_id").to_pylist() == ["hold-1", "hold-1"]
    assert sorted(r.read_id for r in rows_to_reads(rows)) == sorted(
        [read.read_id, derived.read_id])
    ensure_held_table(store)  # and once moved, left as it is
    assert store.query(f"SELECT count() AS n FROM {{db}}.{HELD_READS}").to_pylist() == [
        {"n": 2}]


def test_a_search_names_no_computed_column_in_its_queries(
    store: ReadStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a computed column costs each query that names it time to plan (docs/benchmarks.md)
    plate = unique_plate()
    read = make_read(plate, camera="cam-plan")
    store.add_reads([read])
    sent: list[str] = []
    query = store.engine.query

    def recorded(sql: str, params: object = None) -> object:
        sent.append(sql)
        return query(sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(store.engine, "query", recorded)
    scope = Scope({1: OwnerLimit()})
    assert [r.read_id for r in search_exact(store, plate, scope, Filters()).results] == [
        read.read_id]
    window = Filters(since=read.ts - timedelta(minutes=1), until=read.ts, cameras=("cam-plan",))
    assert [r.plate_raw for r in search_area(store, scope, window).results] == [read.plate_raw]
    reads_queries = [sql for sql in sent if ".reads" in sql]
    assert reads_queries
    for sql in reads_queries:
        assert not re.search(r"\b(read_id|plate_raw|confidence|region_confidence)\b", sql), sql


def test_the_primary_index_holds_the_plate_and_time_only(store: ReadStore) -> None:
    [row] = store.query(
        "SELECT sorting_key, primary_key FROM system.tables WHERE database = {d:String} "
        "AND name = 'reads'", {"d": store.db}).to_pylist()
    assert row == {"sorting_key": ", ".join(READ_KEY), "primary_key": READ_PRIMARY}
    assert READ_PRIMARY == "plate, ts"


def test_a_plain_insert_naming_read_id_is_refused(store: ReadStore) -> None:
    # docs/simulator.md: `read_id` is computed, so a batch must name it `read_id_in`
    table = reads_to_arrow([make_read(unique_plate())])
    ids = to_clickhouse_uuid_bytes(table.column("read_id").combine_chunks())
    with pytest.raises(StoreError):
        store.engine.insert_arrow("reads", table.set_column(0, "read_id", ids))


def test_two_reads_of_one_camera_plate_and_millisecond_are_one_read(store: ReadStore) -> None:
    # docs/simulator.md: nil ids are derived, so such a pair has one id and one key
    read = make_read(unique_plate())
    table = reads_to_arrow([read, read.model_copy(update={"confidence": 0.5})])
    store.insert_arrow(table.set_column(0, "read_id", pa.array([bytes(16)] * 2, pa.binary(16))))
    store.optimize()
    assert list(stored_ids(store, read.plate)) == [str(read.read_id)]
    assert store.query("SELECT count() AS n FROM {db}.reads WHERE plate = {p:String}",
                       {"p": read.plate}).to_pylist() == [{"n": 1}]
