"""A read's confidences are kept in one byte each, as the nearest whole percent; the table
and its ``by_camera`` projection are written with ZSTD, not the engine's LZ4."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from plateledger.ingest.enrich import CameraInfo, Owner, enrich
from plateledger.policy.clocks import RetentionPolicy
from plateledger.read import PlateRead, ReadSubmission
from plateledger.search import Filters, OwnerLimit, Scope, search_area, search_exact
from plateledger.sim.city import City
from plateledger.store import ReadStore, StoreError
from plateledger.store.arrow import reads_to_arrow, to_clickhouse_uuid_bytes
from plateledger.store.embedded import EmbeddedEngine
from plateledger.store.schema import (
    DEFAULT_CODEC,
    EXPIRY_STEP_S,
    GRANULARITY,
    KEPT,
    expiry_stamp,
    percent,
    reads_ddl,
)
from tests.factories import make_read, unique_plate
from tests.store.test_read_identity import old_reads_ddl

SCOPE = Scope({1: OwnerLimit()})


def sure(plate: str, **fields: object) -> PlateRead:
    return make_read(plate, **fields).model_copy(
        update={"confidence": 0.8749, "region_confidence": 0.9149, "region": "CA"})


def kept(store: ReadStore, plate: str) -> list[dict[str, object]]:
    return store.query(
        "SELECT confidence, region_confidence, confidence_pct, region_confidence_pct, "
        "toTypeName(confidence_pct) AS kind FROM {db}.reads WHERE plate = {p:String}",
        {"p": plate}).to_pylist()


def test_confidences_are_kept_in_one_byte_each_as_the_nearest_whole_percent(
    store: ReadStore,
) -> None:
    plate = unique_plate()
    store.add_reads([sure(plate)])
    [row] = kept(store, plate)
    assert (row["confidence_pct"], row["region_confidence_pct"], row["kind"]) == (87, 91, "UInt8")
    assert row["confidence"] == pytest.approx(0.87)
    assert row["region_confidence"] == pytest.approx(0.91)


def test_searches_by_plate_and_by_camera_show_the_kept_percent(store: ReadStore) -> None:
    plate = unique_plate()
    read = sure(plate, camera="cam-percent")
    store.add_reads([read])
    [by_plate] = search_exact(store, plate, SCOPE, Filters()).results
    window = Filters(since=read.ts - timedelta(minutes=1), until=read.ts,
                     cameras=("cam-percent",))
    [by_camera] = search_area(store, SCOPE, window).results
    assert by_plate.confidence == by_camera.confidence == 0.87


@pytest.mark.parametrize("client_id", [False, True])
def test_a_retry_of_a_rounded_read_is_a_retry_and_another_confidence_is_refused(
    store: ReadStore, client_id: bool
) -> None:
    # the stored copy holds 0.87, the retry says 0.8749 again: the same evidence
    ids = {"read_id": uuid.uuid4()} if client_id else {}
    read = sure(unique_plate(), **ids)
    assert store.add_reads([read]).written == [read]
    again = store.add_reads([read])
    assert (again.written, again.refused) == ([], frozenset())
    other = read.model_copy(update={"confidence": 0.95})
    assert store.add_reads([other]).refused == frozenset({0})
    assert len(kept(store, read.plate)) == 1


def test_percent_rounds_to_the_nearest_and_is_kept_as_it_is_given() -> None:
    assert [percent(c) for c in (0.0, 0.004, 0.006, 0.8749, 0.865, 1.0)] == [
        0.0, 0.0, 0.01, 0.87, 0.87, 1.0]
    for whole in range(101):
        assert percent(percent(whole / 100)) == whole / 100


def test_percent_rounds_every_confidence_as_the_store_does(store: ReadStore) -> None:
    # a read rounded in Python (ingest) and one rounded by the store (a bulk load, a store
    # moved from the layout before) must agree, or a retry of it would be refused
    values = [i / 1000 for i in range(1001)] + [i / 100000 for i in range(0, 100001, 7)]
    kept = store.query(
        "SELECT toUInt8(round(toFloat32(x) * 100)) AS pct FROM "
        "(SELECT arrayJoin({xs:Array(Float64)}) AS x)", {"xs": values}
    ).column("pct").to_pylist()
    assert [round(percent(v) * 100) for v in values] == kept


@pytest.mark.parametrize("bad", [87.5, -0.2, float("nan")])
def test_a_bulk_load_with_a_confidence_outside_0_to_1_is_refused_whole(
    store: ReadStore, bad: float
) -> None:
    plate = unique_plate()
    table = reads_to_arrow([make_read(plate), make_read(plate, camera="cam-2")])
    at = table.schema.get_field_index("confidence")
    table = table.set_column(at, "confidence", pa.array([0.9, bad], pa.float32()))
    with pytest.raises(StoreError, match="`confidence` must be a number from 0 to 1"):
        store.insert_arrow(table)
    assert kept(store, plate) == []


def test_a_store_that_kept_float_confidences_is_moved_and_keeps_them_to_the_percent(
    store: ReadStore, store_path: Path,
) -> None:
    plate = unique_plate()
    read = make_read(plate, read_id=uuid.uuid4()).model_copy(
        update={"confidence": 0.865, "region_confidence": 0.9149})
    store.engine.command(f"DROP TABLE {store.db}.reads SYNC")
    store.engine.command(old_reads_ddl(store.db, "plate, ts, owner_id, read_id"))
    table = reads_to_arrow([read])
    ids = to_clickhouse_uuid_bytes(table.column("read_id").combine_chunks())
    table = table.set_column(0, "read_id", ids)
    # as a store made before kept them: whole floats
    for name, value in (("confidence", 0.865), ("region_confidence", 0.9149)):
        at = table.schema.get_field_index(name)
        table = table.set_column(at, name, pa.array([value], pa.float32()))
    store.engine.insert_arrow("reads", table)
    store.close()

    reopened = ReadStore.open(data_dir=store_path)
    try:
        [row] = kept(reopened, plate)
        assert (row["confidence_pct"], row["region_confidence_pct"]) == (87, 91)
        # the camera's retry of that read, after the upgrade, is still a retry
        again = reopened.add_reads([read])
        assert (again.written, again.refused) == ([], frozenset())
    finally:
        reopened.close()


def codecs(store: ReadStore) -> tuple[set[str], set[str]]:
    where = "WHERE database = {db:String} AND table = 'reads' AND active"
    parts = store.query(f"SELECT default_compression_codec AS c FROM system.parts {where}",
                        {"db": store.db}).column("c").to_pylist()
    projected = store.query(
        f"SELECT default_compression_codec AS c FROM system.projection_parts {where}",
        {"db": store.db}).column("c").to_pylist()
    return set(parts), set(projected)


def test_the_table_and_its_projection_are_written_with_zstd(store: ReadStore) -> None:
    store.add_reads([make_read(unique_plate(), camera=f"cam-{i}") for i in range(3)])
    assert codecs(store) == ({DEFAULT_CODEC}, {DEFAULT_CODEC})
    store.optimize()
    assert codecs(store) == ({DEFAULT_CODEC}, {DEFAULT_CODEC})


def test_the_arrival_is_kept_in_whole_seconds_after_the_reads_time(store: ReadStore) -> None:
    plate = unique_plate()
    late = make_read(plate, camera="cam-late")
    late = late.model_copy(update={"received_at": late.ts + timedelta(seconds=4, milliseconds=987)})
    early = make_read(plate, camera="cam-early")  # a camera whose clock runs ahead
    early = early.model_copy(update={"received_at": early.ts - timedelta(seconds=2,
                                                                         milliseconds=300)})
    store.add_reads([late, early])
    rows = store.query(
        "SELECT camera_id, received_after_ms FROM {db}.reads WHERE plate = {p:String}",
        {"p": plate}).to_pylist()
    assert {r["camera_id"]: r["received_after_ms"] for r in rows} == {
        "cam-late": 4_000, "cam-early": -2_000}


def test_an_expiry_is_stamped_down_to_its_whole_minute() -> None:
    moment = datetime(2026, 12, 7, 18, 41, 0, tzinfo=UTC)
    assert expiry_stamp(moment) == moment
    assert expiry_stamp(moment + timedelta(microseconds=1)) == moment
    assert expiry_stamp(moment + timedelta(seconds=59, milliseconds=999)) == moment
    assert expiry_stamp(moment - timedelta(seconds=1)) == moment - timedelta(minutes=1)


OWNER = Owner(1, "CA", RetentionPolicy(non_hit=timedelta(days=30), hit=timedelta(days=90),
                                       images=timedelta(days=30)))
CAMERA = CameraInfo("cam-1", 1, 37.5, -122.0)


def submitted(ts: datetime) -> ReadSubmission:
    return ReadSubmission.model_validate({"camera_id": "cam-1", "ts": ts, "plate": "7ABC123",
                                          "confidence": 0.9})


def test_ingest_stamps_a_reads_expiry_down_to_the_minute_its_clock_runs_out() -> None:
    received = datetime(2026, 12, 7, 18, 41, 30, 123000, tzinfo=UTC)
    ts = received - timedelta(seconds=7, milliseconds=450)
    [(_, read)], rejected = enrich([(0, submitted(ts))], OWNER, lambda _: CAMERA, now=received)
    assert rejected == []
    clock = ts + timedelta(days=30)
    assert read.expires_at <= clock and clock - read.expires_at < timedelta(minutes=1)
    assert (read.expires_at.second, read.expires_at.microsecond) == (0, 0)


def test_a_read_whose_clock_ran_out_before_it_arrived_is_refused_to_the_millisecond() -> None:
    received = datetime(2026, 12, 7, 18, 41, 30, 123000, tzinfo=UTC)
    late = received - timedelta(days=30, milliseconds=500)  # its clock ran out 0.5 s ago
    last = received - timedelta(days=30) + timedelta(seconds=1)  # one second of it left
    reads, rejected = enrich([(0, submitted(late)), (1, submitted(last))], OWNER,
                             lambda _: CAMERA, now=received)
    assert [r.index for r in rejected] == [0] and [i for i, _ in reads] == [1]
    # kept, though its stamp already passed: it is never returned, and purged
    assert reads[0][1].expires_at <= received


def test_a_read_that_may_never_be_searchable_is_stamped_no_later_than_its_arrival() -> None:
    received = datetime(2026, 12, 7, 18, 41, 30, 123000, tzinfo=UTC)
    brief = Owner(1, "NH", RetentionPolicy(non_hit=timedelta(minutes=3),
                                           hit=timedelta(days=90), images=timedelta(minutes=3)))
    [(_, read)], _ = enrich([(0, submitted(received - timedelta(seconds=5)))], brief,
                            lambda _: CAMERA, now=received)
    assert read.expires_at <= received


def test_simulated_reads_are_stamped_as_ingest_stamps_them() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    table = next(City().generate(3, 500, start, 2.0, batch_size=500))
    expiries = table.column("expires_at").cast(pa.int64()).to_pylist()
    assert expiries and all(e % EXPIRY_STEP_S == 0 for e in expiries)


def test_the_table_holds_granules_of_the_documented_size(store: ReadStore) -> None:
    [row] = store.query(
        "SELECT engine_full FROM system.tables WHERE database = {db:String} "
        "AND name = 'reads'", {"db": store.db}).to_pylist()
    assert f"index_granularity = {GRANULARITY}," in str(row["engine_full"])


def test_a_sharded_store_of_the_layout_before_is_refused_with_what_it_lacks(
    store: ReadStore, store_path: Path,
) -> None:
    # a cluster's `reads` routes to each shard's `reads_local` (a view stands in here for
    # the Distributed table): a shard that kept confidences as floats is migrated by hand,
    # never written with columns it does not have
    db = store.db
    ddl = reads_ddl(db, table="reads_local")
    for name in ("confidence", "region_confidence"):
        form = KEPT[name]
        given, stored, alias = form.ddl()
        ddl = ddl.replace(f"{given},\n    ", "").replace(f"{stored},\n    ", "")
        ddl = ddl.replace(alias, f"`{name}` Float32").replace(f"`{form.stored}`", f"`{name}`")
    store.engine.command(f"DROP TABLE {db}.reads SYNC")
    store.engine.command(ddl)
    store.engine.command(f"CREATE VIEW {db}.reads AS SELECT * FROM {db}.reads_local")
    store.close()
    try:
        with pytest.raises(StoreError, match=r"`reads_local` lacks the columns "
                                             r"`confidence_pct`, `region_confidence_pct`"):
            ReadStore.open(data_dir=store_path)
    finally:
        engine = EmbeddedEngine(store_path)
        engine.command(f"DROP VIEW IF EXISTS {db}.reads SYNC")
        engine.command(f"DROP TABLE IF EXISTS {db}.reads_local SYNC")
        engine.close()
