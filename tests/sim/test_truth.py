"""Ground truth: convoys travel together, vehicles of interest repeat their routes."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from plateledger.plates import parse_wildcard
from plateledger.sim import City, default_plan

START = datetime(2025, 3, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def city() -> City:
    return City(default_plan(vehicles=8_000))


@pytest.fixture(scope="module")
def reads(city: City) -> pa.Table:
    return pa.concat_tables(city.generate(21, 100_000, START, 3.0))


def _sightings(reads: pa.Table, plates: set[str]) -> dict[str, list[tuple[str, int]]]:
    chosen = reads.filter(pc.is_in(reads.column("plate"), pa.array(sorted(plates))))
    ts = chosen.column("ts").cast(pa.int64()).to_pylist()
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for plate, camera, t in zip(chosen.column("plate").to_pylist(),
                                chosen.column("camera_id").to_pylist(), ts, strict=True):
        out[plate].append((camera, t))
    return out


def test_convoy_members_pass_the_same_cameras_within_seconds(
    city: City, reads: pa.Table
) -> None:
    convoys = city.ground_truth().convoys
    assert len(convoys) >= 10
    checked = together = 0
    members = {p for group in convoys for p in group}
    seen = _sightings(reads, members)
    for leader, *followers in convoys:
        for camera, t in seen.get(leader, []):
            if "-fx-" not in camera:
                continue
            for follower in followers:
                checked += 1
                together += any(c == camera and 0 < u - t <= 30_000
                                for c, u in seen.get(follower, []))
    assert checked > 100
    # Misreads of the follower and a trip cut at a block's end lose a few.
    assert together / checked > 0.85


def test_vehicles_of_interest_are_read_on_their_commute(city: City, reads: pa.Table) -> None:
    truth = city.ground_truth()
    assert len(truth.vehicles_of_interest) == city.plan.vehicles_of_interest
    assert any(v.convoy for v in truth.vehicles_of_interest)
    seen = _sightings(reads, {v.plate for v in truth.vehicles_of_interest})
    for vehicle in truth.vehicles_of_interest:
        cameras = {camera for camera, _ in seen[vehicle.plate]}
        assert len(seen[vehicle.plate]) >= 5
        assert {camera for camera, _ in vehicle.commute} & cameras
        offsets = [t for _, t in vehicle.commute]
        assert offsets == sorted(offsets)


def test_search_workload_is_deterministic(city: City) -> None:
    assert city.search_workload(1, 200) == city.search_workload(1, 200)
    assert city.search_workload(1, 200) != city.search_workload(2, 200)


def test_search_workload_mixes_the_search_kinds(city: City) -> None:
    kinds = {s["kind"] for s in city.search_workload(4, 500)}
    assert kinds == {"exact", "wildcard", "fuzzy", "camera", "convoy"}


def test_workload_plates_and_cameras_exist(city: City, reads: pa.Table) -> None:
    plates = set(reads.column("plate").to_pylist())
    cameras = {c.camera_id for c in city.plan.cameras}
    registered = city.ground_truth().registered_plates
    searches = city.search_workload(9, 300, start=START, days=3.0)
    exact = [s for s in searches if s["kind"] == "exact"]
    assert sum(s["plate"] in plates for s in exact) > 0.9 * len(exact)
    for search in searches:
        if search["kind"] == "wildcard":
            assert parse_wildcard(str(search["pattern"])).matches(str(search["truth"]))
        elif search["kind"] == "fuzzy":
            assert search["plate"] != search["truth"]
            assert search["plate"] not in registered or len(str(search["plate"])) < 7
        elif search["kind"] == "camera":
            assert search["camera_id"] in cameras
            begin = datetime.fromisoformat(str(search["start"]))
            assert START <= begin < datetime.fromisoformat(str(search["end"]))
