"""Investigative search kinds on small worlds with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from pydantic import ValidationError

from plateledger.search import Filters, OwnerLimit, Scope
from plateledger.search.attributes import AttributesError, Vehicle, search_attributes
from plateledger.search.convoy import (
    Convoy,
    ConvoyError,
    places_and_buckets,
    search_convoy,
)
from plateledger.search.keyed import read_outs
from plateledger.search.locate import search_locate
from plateledger.search.result import ReadOut
from plateledger.search.stakeout import Stakeout, search_stakeout
from plateledger.search.timeline import search_timeline
from plateledger.sim import City, default_plan
from plateledger.store import ReadStore
from plateledger.store.arrow import rows_to_reads
from plateledger.store.schema import READ_SELECT
from tests.factories import make_read

OWN = Scope({1: OwnerLimit()})
BOTH = Scope({1: OwnerLimit(), 2: OwnerLimit()})
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _day(now: datetime = NOW) -> Filters:
    return Filters(since=now - timedelta(days=1), until=now)


@pytest.fixture
def trip(store: ReadStore) -> None:
    """Target 7TGT001 drives cam-a → cam-a → cam-b → cam-c; 8FOL002 follows ~30 s behind
    at a, b and c; 9ONE003 is at cam-b only; owner 2 saw the target at cam-x."""
    r = make_read
    store.insert_reads([
        r("7TGT001", camera="cam-a", minutes_ago=60, now=NOW, lat=37.1, lon=-122.1),
        r("7TGT001", camera="cam-a", minutes_ago=59, now=NOW, lat=37.1, lon=-122.1),
        r("7TGT001", camera="cam-b", minutes_ago=50, now=NOW, lat=37.2, lon=-122.2),
        r("7TGT001", camera="cam-c", minutes_ago=40, now=NOW, lat=37.3, lon=-122.3),
        r("8FOL002", camera="cam-a", minutes_ago=59.5, now=NOW, lat=37.1, lon=-122.1),
        r("8FOL002", camera="cam-b", minutes_ago=49.5, now=NOW, lat=37.2, lon=-122.2),
        r("8FOL002", camera="cam-c", minutes_ago=39.5, now=NOW, lat=37.3, lon=-122.3),
        r("9ONE003", camera="cam-b", minutes_ago=50.2, now=NOW, lat=37.2, lon=-122.2),
        r("5LATE05", camera="cam-c", minutes_ago=20, now=NOW, lat=37.3, lon=-122.3),
        r("7TGT001", camera="cam-x", owner=2, minutes_ago=30, now=NOW, lat=37.4, lon=-122.4),
        r("6OTHR06", camera="cam-x", owner=2, minutes_ago=30, now=NOW, lat=37.4, lon=-122.4),
        r("6OTHR06", camera="cam-c", owner=2, minutes_ago=40, now=NOW, lat=37.3, lon=-122.3),
    ])


def test_a_timeline_lists_every_read_in_order_with_the_path(
    store: ReadStore, trip: None
) -> None:
    result = search_timeline(store, "7tgt-001", OWN, _day())
    assert result.page.total == 4
    assert [r.camera_id for r in result.page.results] == ["cam-a", "cam-a", "cam-b", "cam-c"]
    assert [(s.camera_id, s.reads) for s in result.path] == [
        ("cam-a", 2), ("cam-b", 1), ("cam-c", 1)]
    assert result.path[0].last_seen - result.path[0].first_seen == timedelta(minutes=1)


def test_a_timeline_shows_another_owners_reads_only_when_allowed(
    store: ReadStore, trip: None
) -> None:
    assert search_timeline(store, "7TGT001", BOTH, _day()).path[-1].camera_id == "cam-x"
    assert all(s.camera_id != "cam-x" for s in search_timeline(store, "7TGT001", OWN,
                                                                  _day()).path)
    assert search_timeline(store, "7TGT001", Scope(), _day()).page.total == 0


def test_a_lookback_limit_trims_the_timeline(store: ReadStore, trip: None) -> None:
    limited = Scope({1: OwnerLimit(since=NOW - timedelta(minutes=45))})
    assert [s.camera_id for s in search_timeline(store, "7TGT001", limited, _day()).path] == [
        "cam-c"]


def test_a_convoy_finds_the_follower_ranked_by_places(store: ReadStore, trip: None) -> None:
    result = search_convoy(store, "7TGT001", Convoy(window_seconds=60, min_places=2), OWN,
                           _day())
    assert [(c.plate, c.places) for c in result.companions] == [("8FOL002", 3)]
    assert result.total == 1
    once = search_convoy(store, "7TGT001", Convoy(window_seconds=60, min_places=1), OWN,
                         _day())
    assert [c.plate for c in once.companions] == ["8FOL002", "9ONE003"]


def test_a_convoys_rows_are_the_companions_reads_at_the_shared_places(
    store: ReadStore, trip: None
) -> None:
    # 8FOL002 also passed cam-a long after the target: not a shared place and time.
    store.insert_reads([make_read("8FOL002", camera="cam-a", minutes_ago=10, now=NOW)])
    once = Convoy(window_seconds=60, min_places=1)
    result = search_convoy(store, "7TGT001", once, OWN, _day())
    assert [(r.plate, r.camera_id) for r in result.page.results] == [
        ("8FOL002", "cam-a"), ("8FOL002", "cam-b"), ("8FOL002", "cam-c"),
        ("9ONE003", "cam-b")]
    second = search_convoy(store, "7TGT001", once, OWN,
                           Filters(since=NOW - timedelta(days=1), until=NOW, limit=1, offset=1))
    assert [c.plate for c in second.companions] == ["9ONE003"]
    assert [r.plate for r in second.page.results] == ["9ONE003"] and second.total == 2
    assert search_convoy(store, "7TGT001", once, Scope(), _day()).page.results == []
    past = search_convoy(store, "7TGT001", once, OWN,
                         Filters(since=NOW - timedelta(days=1), until=NOW, offset=5))
    assert past.companions == [] and past.page.results == [] and past.total == 2


def test_convoy_companions_are_looked_up_in_the_buckets_around_the_target() -> None:
    at = datetime(2026, 11, 30, 12, 0, 30, tzinfo=UTC)
    cams, buckets = places_and_buckets([("cam-a", at), ("cam-a", at)], timedelta(seconds=60))
    assert cams == ["cam-a"] * 3
    assert buckets == [at.replace(second=0) + timedelta(minutes=m) for m in (-1, 0, 1)]
    _, wide = places_and_buckets([("cam-a", at)], timedelta(minutes=30))
    assert len(wide) == 7 and all(b.minute % 10 == 0 for b in wide)


def test_a_convoy_never_counts_a_denied_owners_reads(store: ReadStore, trip: None) -> None:
    loose = Convoy(window_seconds=600, min_places=2)
    assert "6OTHR06" in {c.plate for c in search_convoy(store, "7TGT001", loose, BOTH,
                                                          _day()).companions}
    assert "6OTHR06" not in {c.plate for c in search_convoy(store, "7TGT001", loose, OWN,
                                                              _day()).companions}


def test_a_convoy_needs_a_bounded_window(store: ReadStore) -> None:
    with pytest.raises(ConvoyError, match="since"):
        search_convoy(store, "7TGT001", Convoy(), OWN, Filters())
    with pytest.raises(ValidationError):
        Convoy(window_seconds=0)


def test_a_stakeout_finds_plates_seen_in_k_of_n_areas(store: ReadStore, trip: None) -> None:
    hour = {"since": NOW - timedelta(minutes=70), "until": NOW - timedelta(minutes=35)}
    stakeout = Stakeout.model_validate({
        "areas": [
            {"shape": "circle", "lat": 37.1, "lon": -122.1, "meters": 200, **hour},
            {"shape": "box", "south": 37.19, "west": -122.21, "north": 37.21, "east": -122.19,
             **hour},
            {"shape": "polygon", "points": [[37.29, -122.31], [37.31, -122.31],
                                            [37.30, -122.29]], **hour},
        ],
        "min_areas": 2,
    })
    result = search_stakeout(store, stakeout, OWN, Filters())
    assert [(p.plate, p.areas_matched) for p in result.plates] == [
        ("7TGT001", [0, 1, 2]), ("8FOL002", [0, 1, 2])]
    assert result.total == 2
    assert {r.plate for r in result.page.results} == {"7TGT001", "8FOL002"}
    wider = search_stakeout(store, stakeout, BOTH, Filters())
    assert "6OTHR06" not in {p.plate for p in wider.plates}  # one area only
    one = stakeout.model_copy(update={"min_areas": 1})
    assert {p.plate for p in search_stakeout(store, one, BOTH, Filters()).plates} == {
        "7TGT001", "8FOL002", "9ONE003", "6OTHR06"}
    paged = search_stakeout(store, one, BOTH, Filters(limit=1, offset=1))
    assert paged.total == 4 and len(paged.plates) == 1
    past = search_stakeout(store, one, BOTH, Filters(limit=1, offset=9))
    assert past.total == 4 and past.plates == [] and past.page.results == []


def test_a_stakeout_refuses_bad_areas() -> None:
    base = {"since": NOW - timedelta(hours=1), "until": NOW}
    with pytest.raises(ValidationError, match="min_areas"):
        Stakeout.model_validate({"areas": [{"shape": "circle", "lat": 1, "lon": 1,
                                            "meters": 10, **base}], "min_areas": 2})
    with pytest.raises(ValidationError):
        Stakeout.model_validate({"areas": [{"shape": "polygon", "points": [[1, 1], [2, 2]],
                                            **base}], "min_areas": 1})
    with pytest.raises(ValidationError, match="7 days"):
        Stakeout.model_validate({"areas": [{"shape": "circle", "lat": 1, "lon": 1,
                                            "meters": 10, "since": NOW - timedelta(days=8),
                                            "until": NOW}], "min_areas": 1})


def test_locate_counts_by_hour_weekday_and_place(store: ReadStore, trip: None) -> None:
    pattern = search_locate(store, "7TGT001", OWN, _day())
    assert pattern.total == 4
    assert pattern.by_hour[11] == 4 and sum(pattern.by_hour) == 4
    assert pattern.by_weekday[NOW.weekday()] == 4
    assert (pattern.places[0].camera_id, pattern.places[0].reads) == ("cam-a", 2)
    assert search_locate(store, "7TGT001", BOTH, _day()).total == 5
    assert search_locate(store, "7TGT001", Scope(), _day()).total == 0


def test_attributes_match_make_colour_type_and_a_partial_plate(store: ReadStore) -> None:
    store.insert_reads([
        make_read("1RED001", now=NOW, vehicle={"make": "Toyota", "color": "red",
                                               "type": "sedan"}),
        make_read("2RED002", now=NOW, vehicle={"make": "Toyota", "color": "red",
                                               "type": "suv"}),
        make_read("3BLU003", now=NOW, vehicle={"make": "Toyota", "color": "blue"}),
        make_read("4RED004", owner=2, now=NOW, vehicle={"make": "Toyota", "color": "red"}),
    ])
    red = search_attributes(store, Vehicle(make="toyota", color="RED"), OWN, _day())
    assert {r.plate for r in red.results} == {"1RED001", "2RED002"} and red.total == 2
    assert [r.plate for r in search_attributes(
        store, Vehicle(color="red"), OWN, _day(), plate="2RE*").results] == ["2RED002"]
    assert search_attributes(store, Vehicle(color="red"), BOTH, _day()).total == 3
    with pytest.raises(ValidationError, match="at least one"):
        Vehicle()
    with pytest.raises(AttributesError, match="since"):
        search_attributes(store, Vehicle(color="red"), OWN, Filters())


START = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def test_convoys_the_simulator_plants_are_found(store: ReadStore) -> None:
    city = City(default_plan(vehicles=4_000))
    table = pa.concat_tables(city.generate(21, 40_000, START, 1.0))
    store.insert_arrow(table)
    truth = city.ground_truth()
    window = Filters(since=START, until=START + timedelta(days=1))
    found = checked = 0
    for leader, *followers in truth.convoys[:10]:
        companions = search_convoy(store, leader, Convoy(window_seconds=60, min_places=2),
                                   OWN_ALL, window).companions
        if not companions:
            continue
        checked += 1
        found += any(c.plate in followers for c in companions[:3])
    assert checked >= 3
    assert found / checked >= 0.8


OWN_ALL = Scope({o: OwnerLimit() for o in range(1, 64)})


def test_a_pages_rows_are_shown_as_the_stored_reads_are(store: ReadStore) -> None:
    """The searches make results straight from a page's columns (`read_outs`): each is what
    `ReadOut.from_read` makes of the stored read (an unknown place and heading stay
    unknown, numbers rounded as there), with images only where the owner's are allowed."""
    images = {"plate": "crop-1.jpg", "overview": "scene-1.jpg"}
    store.insert_reads([
        make_read("7ABC123", now=NOW, minutes_ago=3, heading=271.5, region="CA",
                  lat=37.123456789, lon=-122.987654321, images=images,
                  vehicle={"make": "Ford", "color": "blue", "model": "F-150", "type": "truck"}),
        make_read("7ABC123", owner=2, now=NOW, minutes_ago=2, lat=None, lon=None,
                  images=images),
        make_read("8XYZ999", owner=2, now=NOW, minutes_ago=1, heading=0.0, images=images),
    ])
    rows = store.query(f"SELECT {READ_SELECT} FROM {{db}}.reads ORDER BY ts")
    scope = Scope({1: OwnerLimit(), 2: OwnerLimit(images=False)})
    got = read_outs(rows, scope)
    want = [ReadOut.from_read(r, images=scope.images_allowed(r.owner_id))
            for r in rows_to_reads(rows)]
    assert [g.model_dump() for g in got] == [w.model_dump() for w in want]
    assert [g.model_fields_set for g in got] == [w.model_fields_set for w in want]
    first, placeless, level = got
    assert (first.lat, first.lon, first.heading) == (37.123455, -122.987656, 272.0)
    assert (first.image_plate, first.vehicle_make) == ("crop-1.jpg", "Ford")
    assert (placeless.lat, placeless.lon, placeless.heading) == (None, None, None)
    assert placeless.image_plate == placeless.image_overview == ""
    assert level.heading == 0.0
    assert read_outs(rows.slice(0, 0), scope) == []
