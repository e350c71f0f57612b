from datetime import UTC, datetime, timedelta

import pytest

from plateledger.plates import PlateError
from plateledger.search import (
    Filters,
    OwnerLimit,
    Scope,
    search_exact,
    search_fuzzy,
    search_wildcard,
)
from plateledger.store import ReadStore
from tests.factories import make_read

OWN = Scope({1: OwnerLimit()})


@pytest.fixture
def city(store: ReadStore) -> ReadStore:
    now = datetime.now(UTC)
    store.insert_reads([
        make_read("8ABC123", camera="cam-1", minutes_ago=5, now=now),
        make_read("8ABC123", camera="cam-2", minutes_ago=50, now=now, region="CA"),
        make_read("8A8C123", camera="cam-1", minutes_ago=7, now=now),  # misread of 8ABC123
        make_read("BABC123", camera="cam-3", minutes_ago=9, now=now),  # misread
        make_read("8ABC12", camera="cam-3", minutes_ago=11, now=now),  # dropped a character
        make_read("8ABD123", camera="cam-3", minutes_ago=12, now=now),  # confusable D/C? no
        make_read("7XYZ981", camera="cam-1", minutes_ago=3, now=now),
        make_read("8ABC123", camera="cam-9", owner=2, minutes_ago=4, now=now),  # other owner
        make_read("8ABC123", camera="cam-1", minutes_ago=90, keep_days=0.01, now=now),  # expired
    ])
    return store


def test_exact_search_finds_the_plate_newest_first_within_scope(city: ReadStore) -> None:
    page = search_exact(city, "8abc-123", OWN, Filters())
    assert page.total == 2
    assert [r.camera_id for r in page.results] == ["cam-1", "cam-2"]
    assert all(r.owner_id == 1 for r in page.results)


def test_an_owner_outside_the_scope_is_never_read(city: ReadStore) -> None:
    page = search_exact(city, "8ABC123", Scope({2: OwnerLimit()}), Filters())
    assert [r.camera_id for r in page.results] == ["cam-9"]
    assert search_exact(city, "8ABC123", Scope({}), Filters()).total == 0


def test_a_lookback_limit_hides_older_reads_of_that_owner(city: ReadStore) -> None:
    since = datetime.now(UTC) - timedelta(minutes=30)
    page = search_exact(city, "8ABC123", Scope({1: OwnerLimit(since=since)}), Filters())
    assert [r.camera_id for r in page.results] == ["cam-1"]


def test_each_owner_keeps_its_own_lookback_when_others_share_one(store: ReadStore) -> None:
    """Owners whose lookback ends at the same moment share one condition; an owner with
    another lookback keeps its own, and no owner gets another's."""
    now = datetime.now(UTC)
    store.insert_reads([
        make_read("8ABC123", camera=f"cam-{owner}-{age}", owner=owner, minutes_ago=age, now=now)
        for owner in (1, 2, 3) for age in (10, 40, 80)
    ])
    scope = Scope({
        1: OwnerLimit(since=now - timedelta(minutes=30)),
        2: OwnerLimit(since=now - timedelta(minutes=60)),
        3: OwnerLimit(since=now - timedelta(minutes=30)),
    })
    page = search_exact(store, "8ABC123", scope, Filters())
    assert sorted(r.camera_id for r in page.results) == [
        "cam-1-10", "cam-2-10", "cam-2-40", "cam-3-10",
    ]


def test_filters_narrow_by_time_camera_and_region(city: ReadStore) -> None:
    now = datetime.now(UTC)
    assert search_exact(city, "8ABC123", OWN, Filters(cameras=("cam-2",))).total == 1
    assert search_exact(city, "8ABC123", OWN, Filters(region="us-ca")).total == 1
    recent = Filters(since=now - timedelta(minutes=20), until=now)
    assert search_exact(city, "8ABC123", OWN, recent).total == 1


def test_pages_do_not_overlap_and_share_a_total(city: ReadStore) -> None:
    first = search_exact(city, "8ABC123", OWN, Filters(limit=1))
    second = search_exact(city, "8ABC123", OWN, Filters(limit=1, offset=1))
    assert first.total == second.total == 2
    assert first.results[0].read_id != second.results[0].read_id


def test_wildcard_search_uses_known_plates(city: ReadStore) -> None:
    page = search_wildcard(city, "8A?C12*", OWN, Filters())
    assert set(page.candidates) == {"8ABC123", "8A8C123", "8ABC12"}
    assert page.total == 4


def test_fuzzy_search_ranks_confusable_misreads_before_other_edits(city: ReadStore) -> None:
    page = search_fuzzy(city, "8ABC123", OWN, Filters())
    plates = [r.plate for r in page.results]
    distances = [r.distance for r in page.results]
    assert plates[:2] == ["8ABC123", "8ABC123"]
    assert set(plates[2:4]) == {"8A8C123", "BABC123"}
    assert distances == sorted(distances)
    assert "7XYZ981" not in plates
    assert "8ABC12" in plates  # one dropped character is still a candidate


def test_expired_reads_are_never_returned_by_any_plate_search(city: ReadStore) -> None:
    for page in (
        search_exact(city, "8ABC123", OWN, Filters()),
        search_wildcard(city, "8ABC*", OWN, Filters()),
        search_fuzzy(city, "8ABC123", OWN, Filters()),
    ):
        assert all(r.ts > datetime.now(UTC) - timedelta(minutes=60) for r in page.results)


def test_a_bad_plate_is_refused_before_touching_the_store(city: ReadStore) -> None:
    with pytest.raises(PlateError):
        search_exact(city, "'; DROP TABLE reads", OWN, Filters())


def test_filters_refuse_inconsistent_bounds() -> None:
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="since must not be after until"):
        Filters(since=now, until=now - timedelta(hours=1))
