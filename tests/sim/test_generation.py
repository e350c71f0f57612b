"""A generated stream: its layout, determinism, owners and clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from plateledger.sim import BLOCK_READS, City, default_plan, write_parquet
from plateledger.store.schema import ARROW_SCHEMA

START = datetime(2025, 3, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def city() -> City:
    return City(default_plan(vehicles=8_000))


@pytest.fixture(scope="module")
def reads(city: City) -> pa.Table:
    return pa.concat_tables(city.generate(7, 100_000, START, 7.0, retention_days={5: 60}))


def test_batches_have_exactly_the_store_schema(reads: pa.Table) -> None:
    assert reads.schema.equals(ARROW_SCHEMA, check_metadata=True)


def test_generates_exactly_the_requested_number_of_reads(city: City) -> None:
    for n in (0, 1, 999, BLOCK_READS + 1):
        assert sum(t.num_rows for t in city.generate(1, n, START, 1.0)) == n


def test_batches_hold_batch_size_reads_except_the_last(city: City) -> None:
    sizes = [t.num_rows for t in city.generate(1, 25_000, START, 1.0, batch_size=10_000)]
    assert sizes == [10_000, 10_000, 5_000]


def test_same_seed_gives_identical_batches(city: City) -> None:
    first = list(city.generate(3, 20_000, START, 2.0, batch_size=5_000))
    again = list(city.generate(3, 20_000, START, 2.0, batch_size=5_000))
    assert len(first) == len(again)
    assert all(a.equals(b) for a, b in zip(first, again, strict=True))


def test_a_fresh_city_from_the_same_plan_gives_identical_reads() -> None:
    plan = default_plan(vehicles=2_000)
    one = pa.concat_tables(City(plan).generate(3, 5_000, START, 1.0))
    two = pa.concat_tables(City(plan).generate(3, 5_000, START, 1.0))
    assert one.equals(two)


def test_different_seeds_give_different_reads(city: City) -> None:
    one = pa.concat_tables(city.generate(1, 5_000, START, 1.0))
    two = pa.concat_tables(city.generate(2, 5_000, START, 1.0))
    assert not one.column("plate").equals(two.column("plate"))


def test_batch_size_does_not_change_the_stream(city: City) -> None:
    big = pa.concat_tables(city.generate(5, BLOCK_READS + 500, START, 1.0))
    small = pa.concat_tables(city.generate(5, BLOCK_READS + 500, START, 1.0, batch_size=7_777))
    assert big.equals(small)


def test_read_ids_are_left_for_the_store_to_derive(reads: pa.Table) -> None:
    assert set(reads.column("read_id").to_pylist()) == {bytes(16)}


def test_every_read_is_owned_by_a_camera_owner_in_its_home_state(
    city: City, reads: pa.Table
) -> None:
    owners = {c.camera_id: c.owner_id for c in city.plan.cameras}
    pairs = reads.select(["camera_id", "owner_id", "origin_state"]).group_by(
        ["camera_id", "owner_id", "origin_state"]).aggregate([]).to_pylist()
    for row in pairs:
        assert owners[row["camera_id"]] == row["owner_id"]
        assert city.plan.agency(row["owner_id"]).home_state == row["origin_state"]
    seen = {row["owner_id"] for row in pairs}
    assert seen == set(city.plan.camera_owner_ids)
    assert 7 not in seen  # the federal agency owns no cameras, hence no reads
    assert {row["origin_state"] for row in pairs} == {"CA", "NV"}


def test_reads_fall_in_the_period(reads: pa.Table) -> None:
    ts = reads.column("ts")
    assert pc.min(ts).as_py() >= START
    assert pc.max(ts).as_py() < START + timedelta(days=7)


def test_reads_arrive_after_they_are_taken_and_expire_after_their_retention(
    reads: pa.Table,
) -> None:
    ts = reads.column("ts").cast(pa.int64()).to_numpy() // 1000
    received = reads.column("received_at").cast(pa.int64()).to_numpy() // 1000
    expires = reads.column("expires_at").cast(pa.int64()).to_numpy()
    owner = reads.column("owner_id").to_numpy()
    assert (received >= ts).all()
    assert (expires > ts).all()
    # the owner's clock (60 days for owner 5, 365 for the rest), rounded down to its
    # minute as ingest stamps it
    clock = reads.column("ts").cast(pa.int64()).to_numpy() + np.where(
        owner == 5, 60, 365) * 86_400_000
    assert (expires == clock // 60_000 * 60).all()


def test_rush_hours_hold_more_reads_than_the_night(reads: pa.Table) -> None:
    local = pc.hour(pc.local_timestamp(reads.column("ts").cast(
        pa.timestamp("ms", tz="America/Los_Angeles")))).to_numpy()
    counts = np.bincount(local, minlength=24)
    assert counts[17] > 5 * counts[3]


def test_fixed_reads_carry_their_cameras_position(city: City, reads: pa.Table) -> None:
    cameras = {c.camera_id: c for c in city.plan.cameras}
    sample = reads.slice(0, 2_000).select(["camera_id", "lat", "lon", "heading"]).to_pylist()
    for row in sample:
        camera = cameras[row["camera_id"]]
        if camera.kind == "fixed":
            assert row["lat"] == pytest.approx(camera.lat, abs=1e-5)
            assert row["lon"] == pytest.approx(camera.lon, abs=1e-5)
            assert row["heading"] == camera.heading


def test_patrol_cars_read_near_their_loop_with_a_heading(city: City, reads: pa.Table) -> None:
    mobile = pc.match_substring(reads.column("camera_id"), "-car-")
    patrol = reads.filter(mobile)
    share = patrol.num_rows / reads.num_rows
    assert share == pytest.approx(city.plan.mobile_share, abs=0.01)
    headings = set(patrol.column("heading").to_pylist())
    assert headings == {0, 90, 180, 270}
    lat = patrol.column("lat").to_numpy()
    assert np.abs(lat - city.plan.grid.centre_lat).max() < 0.03


def test_progress_reports_reads_generated_so_far(city: City) -> None:
    seen: list[int] = []
    list(city.generate(1, 25_000, START, 1.0, batch_size=10_000, progress=seen.append))
    assert seen == [10_000, 20_000, 25_000]


def test_a_start_without_time_zone_is_refused(city: City) -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        list(city.generate(1, 10, datetime(2025, 1, 1), 1.0))


def test_write_parquet_writes_the_stream_in_the_store_layout(city: City, tmp_path: Path) -> None:
    path = tmp_path / "reads.parquet"
    written = write_parquet(city, path, seed=7, n_reads=12_000, start=START, days=1.0,
                            batch_size=5_000)
    # Parquet has no seconds unit: expires_at comes back in milliseconds, same instants.
    table = pq.read_table(path).cast(ARROW_SCHEMA)
    assert written == table.num_rows == 12_000
    assert table.equals(pa.concat_tables(city.generate(7, 12_000, START, 1.0)))
