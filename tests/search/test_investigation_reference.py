"""Stakeout and convoy against brute-force references on a simulated city.

The references look at every stored read (no summary, no projection, no buckets), so a
narrowing step that lost a read (a mobile camera, an hour's edge, a bucket's edge) shows
as a difference.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from plateledger.search import Filters, OwnerLimit, Scope, convoy, stakeout, timeline
from plateledger.search.convoy import Convoy, search_convoy
from plateledger.search.stakeout import Stakeout, search_stakeout
from plateledger.search.timeline import search_timeline
from plateledger.sim import City, default_plan
from plateledger.store import ReadStore
from tests.factories import make_read

START = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
SOME = Scope({o: OwnerLimit() for o in range(1, 64) if o % 3})
ALL = Scope({o: OwnerLimit() for o in range(1, 64)})


@pytest.fixture
def city_reads(store: ReadStore) -> pa.Table:
    """A day of a small simulated city (fixed and mobile cameras), in the store."""
    city = City(default_plan(vehicles=3_000))
    table = pa.concat_tables(city.generate(7, 30_000, START, 1.0))
    store.insert_arrow(table)
    return table


def _rows(store: ReadStore) -> list[dict[str, object]]:
    """Every live stored read once, with its place."""
    return store.query(
        "SELECT plate, camera_id, ts, owner_id, lat, lon FROM {db}.reads "
        "WHERE expires_at > now() LIMIT 1 BY plate, ts, owner_id, read_id"
    ).to_pylist()


def _inside(store: ReadStore, area: dict[str, object]) -> str:
    """The exact shape test of one area, as SQL over lat/lon (no box first)."""
    if area["shape"] == "circle":
        return (
            f"greatCircleDistance(lon, lat, {area['lon']!r}, {area['lat']!r}) <= {area['meters']!r}"
        )
    if area["shape"] == "box":
        return (
            f"lat BETWEEN {area['south']!r} AND {area['north']!r} "
            f"AND lon BETWEEN {area['west']!r} AND {area['east']!r}"
        )
    ring = ", ".join(f"({lon!r}, {lat!r})" for lat, lon in area["points"])  # type: ignore[attr-defined]
    return f"pointInPolygon((toFloat64(lon), toFloat64(lat)), [{ring}])"


def _stakeout_reference(
    store: ReadStore, areas: list[dict[str, object]], k: int, scope: Scope
) -> list[tuple[str, list[int], int]]:
    """Every read tested against every area: (plate, areas, reads) ranked as the search
    ranks them."""
    matched: dict[str, set[int]] = defaultdict(set)
    reads: dict[str, int] = defaultdict(int)
    for i, area in enumerate(areas):
        inside = store.query(
            f"SELECT plate, ts, owner_id, read_id FROM {{db}}.reads WHERE expires_at > now() "
            f"AND ts BETWEEN {{s:DateTime64(3, 'UTC')}} AND {{u:DateTime64(3, 'UTC')}} "
            f"AND {_inside(store, area)} LIMIT 1 BY plate, ts, owner_id, read_id",
            {"s": area["since"], "u": area["until"]},
        ).to_pylist()
        for row in inside:
            if row["owner_id"] in scope.owners:
                matched[row["plate"]].add(i)
    seen: set[tuple[object, ...]] = set()
    for area in areas:
        inside = store.query(
            f"SELECT plate, ts, owner_id, read_id FROM {{db}}.reads WHERE expires_at > now() "
            f"AND ts BETWEEN {{s:DateTime64(3, 'UTC')}} AND {{u:DateTime64(3, 'UTC')}} "
            f"AND {_inside(store, area)} LIMIT 1 BY plate, ts, owner_id, read_id",
            {"s": area["since"], "u": area["until"]},
        ).to_pylist()
        for row in inside:
            key = (row["plate"], row["ts"], row["owner_id"], row["read_id"])
            if row["owner_id"] in scope.owners and key not in seen:
                seen.add(key)
                reads[row["plate"]] += 1
    ranked = [(p, sorted(a), reads[p]) for p, a in matched.items() if len(a) >= k]
    return sorted(ranked, key=lambda r: (-len(r[1]), r[0]))


def _areas_around(table: pa.Table, rng: random.Random) -> list[dict[str, object]]:
    """Three areas (a circle, a box, a polygon) around places and times of stored reads,
    one of them at a mobile camera's read when the city has one."""
    placed = table.filter(pa.compute.invert(pa.compute.is_nan(table.column("lat"))))
    mobile = placed.filter(pa.compute.match_substring(placed.column("camera_id"), "car"))
    picks = [placed.slice(rng.randrange(placed.num_rows), 1).to_pylist()[0] for _ in range(3)]
    if mobile.num_rows:
        picks[0] = mobile.slice(rng.randrange(mobile.num_rows), 1).to_pylist()[0]
    out: list[dict[str, object]] = []
    for i, read in enumerate(picks):
        lat, lon, ts = float(read["lat"]), float(read["lon"]), read["ts"]
        window = {
            "since": ts - timedelta(minutes=50 + 7 * i),
            "until": ts + timedelta(minutes=40 + 11 * i),
        }
        if i == 0:
            out.append({"shape": "circle", "lat": lat, "lon": lon, "meters": 400, **window})
        elif i == 1:
            d = 0.004
            out.append(
                {
                    "shape": "box",
                    "south": lat - d,
                    "north": lat + d,
                    "west": lon - d,
                    "east": lon + d,
                    **window,
                }
            )
        else:
            d = 0.005
            out.append(
                {
                    "shape": "polygon",
                    "points": [[lat - d, lon - d], [lat - d, lon + d], [lat + d, lon]],
                    **window,
                }
            )
    return out


def _through_table(store: ReadStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read by camera through the table (the planner picks the projection), as a store
    whose engine cannot read the projection itself does."""
    monkeypatch.setattr(store, "by_camera", lambda: f"{store.db}.reads")


ROUTES = [
    pytest.param(False, False, id="python"),
    pytest.param(True, False, id="engine"),
    pytest.param(False, True, id="python-through-table"),
]


@pytest.mark.parametrize(("grouped_by_engine", "through_table"), ROUTES)
def test_stakeouts_match_a_scan_of_every_read(
    store: ReadStore,
    city_reads: pa.Table,
    grouped_by_engine: bool,
    through_table: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if grouped_by_engine:  # more reads inside the areas than are grouped in Python
        monkeypatch.setattr(stakeout, "READ_CAP", 0)
    if through_table:
        _through_table(store, monkeypatch)
    rng = random.Random(5)
    compared = 0
    for _ in range(6):
        areas = _areas_around(city_reads, rng)
        for k in (1, 2):
            for scope in (ALL, SOME):
                want = _stakeout_reference(store, areas, k, scope)
                got = search_stakeout(
                    store,
                    Stakeout.model_validate({"areas": areas, "min_areas": k}),
                    scope,
                    Filters(limit=1000),
                )
                assert [(p.plate, p.areas_matched, p.reads) for p in got.plates] == want
                assert got.total == len(want)
                compared += len(want)
                rows = [(r.plate, r.ts, r.read_id) for r in got.page.results]
                assert {p for p, _, _ in rows} == {p for p, _, _ in want}
                rank = {p: i for i, (p, _, _) in enumerate(want)}  # plate by plate as ranked
                assert rows == sorted(rows, key=lambda r: (rank[r[0]], r[1]))
                assert len(rows) == sum(n for _, _, n in want)
    assert compared > 50


def test_a_stakeout_finds_a_mobile_camera_where_it_was_in_the_hour(store: ReadStore) -> None:
    """A patrol car reads at one end of town and then at the other within one hour: only
    its reads inside the area count, and the area finds them."""
    now = START + timedelta(hours=30, minutes=30)
    r = make_read
    store.insert_reads(
        [
            r("1CAR001", camera="car-9", minutes_ago=20, now=now, lat=37.70, lon=-122.40),
            r("2CAR002", camera="car-9", minutes_ago=10, now=now, lat=37.30, lon=-122.00),
            r("3FIX003", camera="fix-1", minutes_ago=12, now=now, lat=37.30, lon=-122.001),
            r("4NOW004", camera="fix-1", minutes_ago=90, now=now, lat=37.30, lon=-122.001),
        ]
    )
    window = {"since": now - timedelta(minutes=15), "until": now}
    stakeout = Stakeout.model_validate(
        {
            "areas": [{"shape": "circle", "lat": 37.30, "lon": -122.00, "meters": 500, **window}],
            "min_areas": 1,
        }
    )
    assert [p.plate for p in search_stakeout(store, stakeout, ALL, Filters()).plates] == [
        "2CAR002",
        "3FIX003",
    ]
    earlier = Stakeout.model_validate(
        {
            "areas": [
                {
                    "shape": "box",
                    "south": 37.69,
                    "north": 37.71,
                    "west": -122.41,
                    "east": -122.39,
                    "since": now - timedelta(minutes=25),
                    "until": now - timedelta(minutes=19),
                }
            ],
            "min_areas": 1,
        }
    )
    assert [p.plate for p in search_stakeout(store, earlier, ALL, Filters()).plates] == ["1CAR001"]


def _convoy_reference(
    rows: list[dict[str, object]],
    target: str,
    since: datetime,
    until: datetime,
    window: timedelta,
    k: int,
    scope: Scope,
) -> tuple[list[tuple[str, int, int, datetime, datetime]], list[tuple[str, str, datetime]]]:
    """Every live read paired with every target read at its camera within ``window``: the
    ranked companions, and the reads that paired."""
    live = [r for r in rows if r["owner_id"] in scope.owners]
    paired: list[tuple[str, str, datetime]] = []
    targets: dict[str, list[datetime]] = defaultdict(list)
    for r in live:
        if r["plate"] == target and since <= r["ts"] <= until:  # type: ignore[operator]
            targets[str(r["camera_id"])].append(r["ts"])  # type: ignore[arg-type]
    places: dict[str, set[str]] = defaultdict(set)
    co: dict[str, int] = defaultdict(int)
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for r in live:
        plate, camera, ts = str(r["plate"]), str(r["camera_id"]), r["ts"]
        if plate == target:
            continue
        near = [t for t in targets.get(camera, []) if abs(ts - t) <= window]  # type: ignore[operator]
        if near:
            paired.append((plate, camera, ts))  # type: ignore[arg-type]
            places[plate].add(camera)
            co[plate] += len(near)
            first[plate] = min(first.get(plate, ts), ts)  # type: ignore[type-var,arg-type]
            last[plate] = max(last.get(plate, ts), ts)  # type: ignore[type-var,arg-type]
    ranked = [(p, len(c), co[p], first[p], last[p]) for p, c in places.items() if len(c) >= k]
    return sorted(ranked, key=lambda x: (-x[1], -x[2], x[0])), paired


@pytest.mark.parametrize(("grouped_by_engine", "through_table"), ROUTES)
def test_convoys_match_pairing_every_read(
    store: ReadStore,
    city_reads: pa.Table,
    grouped_by_engine: bool,
    through_table: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if grouped_by_engine:  # more candidate reads than are paired in Python
        monkeypatch.setattr(convoy, "CANDIDATE_CAP", 0)
    if through_table:
        _through_table(store, monkeypatch)
    rows = _rows(store)
    truth = City(default_plan(vehicles=3_000)).ground_truth()
    rng = random.Random(3)
    plates = [g[0] for g in truth.convoys[:4]] + rng.sample(
        sorted({str(r["plate"]) for r in rows}), 4
    )
    since, until = START + timedelta(hours=2), START + timedelta(hours=20)
    compared = 0
    for plate in plates:
        for seconds, k in ((60, 2), (90, 1), (700, 2)):
            for scope in (ALL, SOME):
                want, paired = _convoy_reference(
                    rows, plate, since, until, timedelta(seconds=seconds), k, scope
                )
                got = search_convoy(
                    store,
                    plate,
                    Convoy(window_seconds=seconds, min_places=k),
                    scope,
                    Filters(since=since, until=until, limit=1000),
                )
                assert [
                    (c.plate, c.places, c.co_occurrences, c.first_seen, c.last_seen)
                    for c in got.companions
                ] == want
                assert got.total == len(want)
                rank = {c[0]: i for i, c in enumerate(want)}
                expected = sorted(
                    (r for r in paired if r[0] in rank), key=lambda r: (rank[r[0]], r[2])
                )[:1000]
                assert [(r.plate, r.camera_id, r.ts) for r in got.page.results] == expected
                compared += len(want)
    assert compared > 20


@pytest.mark.parametrize("one_query", [20_000, 50])
def test_timelines_match_every_read_of_the_plate(
    store: ReadStore,
    city_reads: pa.Table,
    one_query: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timeline, "ONE_QUERY_READS", one_query)
    rows = sorted(_rows(store), key=lambda r: r["ts"])  # type: ignore[arg-type,return-value]
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[str(r["plate"])] += 1
    busiest = sorted(counts, key=lambda p: (-counts[p], p))[:3]
    window = Filters(since=START, until=START + timedelta(days=1))
    for plate in busiest:
        for scope in (ALL, SOME):
            mine = [r for r in rows if r["plate"] == plate and r["owner_id"] in scope.owners]
            stops: list[tuple[str, int]] = []
            for r in mine:
                if stops and stops[-1][0] == r["camera_id"]:
                    stops[-1] = (stops[-1][0], stops[-1][1] + 1)
                else:
                    stops.append((str(r["camera_id"]), 1))
            for offset, limit in ((0, 100), (40, 20), (len(mine) - 5, 100)):
                got = search_timeline(
                    store,
                    plate,
                    scope,
                    window.model_copy(update={"offset": offset, "limit": limit}),
                )
                assert got.page.total == len(mine)
                assert [(s.camera_id, s.reads) for s in got.path] == stops
                assert [(r.camera_id, r.ts) for r in got.page.results] == [
                    (r["camera_id"], r["ts"]) for r in mine[offset : offset + limit]
                ]


def test_the_embedded_store_reads_cameras_from_the_projection_itself(store: ReadStore) -> None:
    """`ReadStore.by_camera` names the ``by_camera`` projection of the embedded store, and
    it holds every stored row of every part (three inserts, a retried copy among them),
    as the table does."""
    source = store.by_camera()
    assert f"FROM mergeTreeProjection('{store.db}', 'reads', 'by_camera')" in source
    first = make_read("1AAA111", camera="cam-a", minutes_ago=5)
    store.insert_reads([first, make_read("2BBB222", camera="cam-b", minutes_ago=4)])
    store.insert_reads([make_read("3CCC333", camera="cam-a", minutes_ago=3)])
    store.insert_reads([first])
    keys = "plate, camera_id, ts, owner_id, read_id"
    direct = store.query(f"SELECT {keys} FROM {source} ORDER BY {keys}").to_pylist()
    table = store.query(f"SELECT {keys} FROM {{db}}.reads ORDER BY {keys}").to_pylist()
    assert len(direct) == 4 and direct == table
