from datetime import UTC, datetime, timedelta

import pytest

from plateledger.search import AreaError, Filters, OwnerLimit, Radius, Scope, search_area
from plateledger.search.filters import BoundingBox
from plateledger.sim import City, default_plan
from plateledger.store import ReadStore
from plateledger.store.schema import KEPT, NOT_PROJECTED, PROJECTED_COLUMNS
from tests.factories import make_read

OWN = Scope({1: OwnerLimit()})


@pytest.fixture
def stakeout(store: ReadStore) -> datetime:
    now = datetime.now(UTC)
    store.insert_reads([
        make_read("1AAA111", camera="fx-1", minutes_ago=10, now=now, lat=37.600, lon=-122.040),
        make_read("2BBB222", camera="fx-1", minutes_ago=20, now=now, lat=37.600, lon=-122.040),
        make_read("3CCC333", camera="fx-2", minutes_ago=15, now=now, lat=37.650, lon=-122.100),
        make_read("4DDD444", camera="fx-1", minutes_ago=300, now=now, lat=37.600, lon=-122.040),
        make_read("5EEE555", camera="fx-1", owner=2, minutes_ago=12, now=now),
    ])
    return now


def test_a_camera_window_returns_every_read_there_newest_first(
    store: ReadStore, stakeout: datetime
) -> None:
    window = Filters(since=stakeout - timedelta(hours=1), until=stakeout, cameras=("fx-1",))
    page = search_area(store, OWN, window)
    assert page.total == 2
    assert [r.plate for r in page.results] == ["1AAA111", "2BBB222"]
    assert page.results[0].vehicle_make == ""  # full rows were fetched


@pytest.mark.parametrize("capped", [False, True], ids=["uncapped", "capped"])
def test_a_camera_window_is_read_from_the_camera_projection(
    store: ReadStore, capped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window at cameras is answered from the ``(camera_id, ts)`` projection, not by
    scanning the table sorted by plate: in a store of 20,000 reads every query the search
    sends is planned on the projection (it asks only for columns the projection holds)."""
    city = City(default_plan(vehicles=2000))
    start = datetime.now(UTC) - timedelta(days=1)
    for batch in city.generate(5, 20_000, start, 1.0):
        store.insert_arrow(batch)
    store.optimize()
    owners = {a.id: OwnerLimit(result_cap=3 if capped else None) for a in city.plan.agencies}
    # a fixed camera and a window around one of its reads: never an empty window
    [seen] = store.query("SELECT camera_id, ts FROM {db}.reads WHERE camera_id LIKE '%-fx-%' "
                         "ORDER BY camera_id, ts LIMIT 1").to_pylist()
    camera, start = str(seen["camera_id"]), seen["ts"] - timedelta(hours=1)
    sent: list[tuple[str, object]] = []
    engine = store.engine
    query = engine.query

    def recorded(sql: str, params: object = None) -> object:
        sent.append((sql, params))
        return query(sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "query", recorded)
    window = Filters(since=start, until=start + timedelta(hours=6), cameras=(camera,))
    assert search_area(store, Scope(owners), window).results
    assert sent
    for sql, params in sent:
        plan = "\n".join(query(f"EXPLAIN {sql}", params).column(0).to_pylist())  # type: ignore[arg-type]
        assert "ReadFromMergeTree (by_camera)" in plan, plan


def test_the_camera_projection_holds_what_a_result_shows() -> None:
    """What the projection leaves out is never shown by a search."""
    from plateledger.search.keyed import SHOWN

    # a column the table computes is shown from what it is computed of
    kept = {KEPT[c].column: KEPT[c].stored for c in KEPT}
    assert {kept.get(c, c) for c in SHOWN} <= set(PROJECTED_COLUMNS)
    assert not NOT_PROJECTED & set(SHOWN)


def test_a_radius_finds_reads_near_a_point(store: ReadStore, stakeout: datetime) -> None:
    near = Filters(
        since=stakeout - timedelta(hours=1),
        until=stakeout,
        radius=Radius(lat=37.6501, lon=-122.1001, meters=200),
    )
    assert [r.plate for r in search_area(store, OWN, near).results] == ["3CCC333"]


def test_a_bounding_box_finds_reads_inside_it(store: ReadStore, stakeout: datetime) -> None:
    box = Filters(
        since=stakeout - timedelta(hours=1),
        until=stakeout,
        bbox=BoundingBox(south=37.59, west=-122.05, north=37.61, east=-122.03),
    )
    assert {r.plate for r in search_area(store, OWN, box).results} == {"1AAA111", "2BBB222"}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (Filters(cameras=("fx-1",)), "since"),
        (Filters(since=datetime(2024, 1, 1, tzinfo=UTC), until=datetime(2024, 3, 1, tzinfo=UTC),
                 cameras=("fx-1",)), "31 days"),
        (Filters(since=datetime(2024, 1, 1, tzinfo=UTC), until=datetime(2024, 1, 2, tzinfo=UTC)),
         "cameras"),
    ],
)
def test_an_unbounded_area_search_is_refused(
    store: ReadStore, filters: Filters, message: str
) -> None:
    with pytest.raises(AreaError, match=message):
        search_area(store, OWN, filters)


def test_an_area_search_can_be_narrowed_to_one_plate(store: ReadStore, stakeout: datetime) -> None:
    window = Filters(since=stakeout - timedelta(hours=1), until=stakeout, cameras=("fx-1",))
    page = search_area(store, OWN, window, plate="2bbb-222")
    assert [r.plate for r in page.results] == ["2BBB222"] and page.total == 1
