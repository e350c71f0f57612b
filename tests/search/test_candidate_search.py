"""An exact search finds a read by a vendor candidate only within the decided scope: an
owner outside it, a read beyond the owner's lookback, an expired read or one outside the
filters never shows, whichever plate matched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plateledger.plates import confusion_key
from plateledger.read import PlateRead
from plateledger.search import search_exact, search_fuzzy
from plateledger.search.filters import Filters
from plateledger.search.scope import OwnerLimit, Scope
from plateledger.store import ReadStore
from plateledger.store.candidates import (
    Candidate,
    Extras,
    StoredRead,
    add_extras,
    fill_dictionary,
)
from tests.factories import make_read

TRUE = "Y69X2G"


def stored_with_candidate(store: ReadStore, read: PlateRead) -> PlateRead:
    store.insert_reads([read])
    add_extras(
        store.engine,
        [
            (
                StoredRead(read.read_id, read.owner_id, read.plate, read.expires_at),
                Extras(
                    candidates=(
                        Candidate(read.plate, read.plate_key, 0.92),
                        Candidate(TRUE, confusion_key(TRUE), 0.81),
                    )
                ),
            )
        ],
    )
    return read


def test_candidate_matches_keep_to_the_scope_and_filters(store: ReadStore) -> None:
    mine = stored_with_candidate(store, make_read("YG9X2G", owner=1, camera="cam-1"))
    theirs = stored_with_candidate(store, make_read("YG9X2G", owner=2, camera="cam-2"))
    old = stored_with_candidate(store, make_read("YGSX2G", owner=1, minutes_ago=60 * 24 * 10))
    stored_with_candidate(
        store, make_read("YGBX2G", owner=1, minutes_ago=60 * 24 * 40, keep_days=30)
    )  # expired
    store.insert_reads([make_read(TRUE, owner=2, camera="cam-2")])  # the plate itself

    week = datetime.now(UTC) - timedelta(days=7)
    scope = Scope({1: OwnerLimit(since=week)})
    page = search_exact(store, TRUE, scope, Filters())
    assert [r.read_id for r in page.results] == [mine.read_id] and page.total == 1
    assert page.results[0].candidate_confidence is not None

    wider = Scope({1: OwnerLimit()})
    found = {r.read_id for r in search_exact(store, TRUE, wider, Filters()).results}
    assert found == {mine.read_id, old.read_id}  # never the expired one, never owner 2's

    both = Scope({1: OwnerLimit(), 2: OwnerLimit()})
    page = search_exact(store, TRUE, both, Filters(cameras=("cam-2",)))
    assert theirs.read_id in {r.read_id for r in page.results}
    assert all(r.camera_id == "cam-2" for r in page.results) and page.total == 2
    assert search_exact(store, TRUE, Scope(), Filters()).total == 0



def stored_with(store: ReadStore, read: PlateRead, candidate: str) -> PlateRead:
    store.insert_reads([read])
    extras = Extras(candidates=(Candidate(read.plate, read.plate_key, 0.6),
                                Candidate(candidate, confusion_key(candidate), 0.4)))
    add_extras(store.engine, [
        (StoredRead(read.read_id, read.owner_id, read.plate, read.expires_at), extras)])
    return read


def test_a_fuzzy_search_reaches_a_read_through_a_near_candidate_within_scope_only(
    store: ReadStore,
) -> None:
    """``KXW4818`` is one plain edit from the candidate ``KXW4817`` and far from the stored
    plate ``DLP2053``: the fuzzy search finds the read through its candidate, at the
    candidate's distance, for the owner's own scope only; the candidate plate is never
    listed among the plates considered (another owner's read may be what holds it)."""
    mine = stored_with(store, make_read("DLP2053", owner=1, camera="cam-1"), "KXW4817")
    theirs = stored_with(store, make_read("DLP2053", owner=2, camera="cam-2"), "KXW4817")
    store.insert_reads([near := make_read("KXW4819", owner=1, camera="cam-1")])  # a plate
    stored_with(store, make_read("DLP2054", owner=1, minutes_ago=60 * 24 * 40, keep_days=30),
                "KXW4817")  # expired

    page = search_fuzzy(store, "KXW4818", Scope({1: OwnerLimit()}), Filters())
    found = {r.read_id: r for r in page.results}
    assert set(found) == {mine.read_id, near.read_id} and page.total == 2
    assert found[mine.read_id].plate == "DLP2053"
    assert found[mine.read_id].candidate_confidence == pytest.approx(0.4)
    assert found[mine.read_id].distance == found[near.read_id].distance == 1.0
    assert found[near.read_id].candidate_confidence is None
    assert page.candidates == ["KXW4819"]  # the read plate in scope, not the candidate

    other = search_fuzzy(store, "KXW4818", Scope({2: OwnerLimit()}), Filters())
    assert [r.read_id for r in other.results] == [theirs.read_id]
    assert other.candidates == [] and other.total == 1
    nobody = search_fuzzy(store, "KXW4818", Scope({3: OwnerLimit()}), Filters())
    assert nobody.results == [] and nobody.total == 0 and nobody.candidates == []
    assert search_fuzzy(store, "KXW4818", Scope(), Filters()).total == 0
    # a read whose candidate is the plate searched ranks first, at distance 0
    same = search_fuzzy(store, "KXW4817", Scope({1: OwnerLimit()}), Filters())
    assert (same.results[0].read_id, same.results[0].distance) == (mine.read_id, 0.0)


def test_candidates_stored_before_they_joined_the_dictionary_are_added_when_the_store_opens(
    store: ReadStore,
) -> None:
    """A store that kept candidates before candidate plates joined the plate dictionary:
    opening it adds them (live ones only), once, and fuzzy search then reaches the read."""
    old = make_read("DLP2053", owner=1, camera="cam-1")
    expired = make_read("DLP2054", owner=1, minutes_ago=60 * 24 * 40, keep_days=30)
    store.insert_reads([old, expired])
    rows = [(old, "KXW4817"), (expired, "QRZ5550")]
    for read, plate in rows:  # as the earlier version wrote them: no dictionary rows
        store.engine.command(
            f"INSERT INTO {store.db}.read_candidates VALUES ('{confusion_key(plate)}', "
            f"'{plate}', '{read.read_id}', {read.owner_id}, '{read.plate}', 0.4, 1, "
            f"'{read.expires_at:%Y-%m-%d %H:%M:%S}')"
        )
    store.engine.command(f"ALTER TABLE {store.db}.read_candidates MODIFY COMMENT ''")
    scope = Scope({1: OwnerLimit()})
    assert search_fuzzy(store, "KXW4818", scope, Filters()).total == 0  # not in the dictionary

    reopened = ReadStore(store.engine)
    page = search_fuzzy(reopened, "KXW4818", scope, Filters())
    assert [r.read_id for r in page.results] == [old.read_id]
    assert page.results[0].candidate_confidence == pytest.approx(0.4)
    plates = reopened.query("SELECT DISTINCT plate FROM {db}.plates").column("plate").to_pylist()
    assert "KXW4817" in plates and "QRZ5550" not in plates  # an expired candidate stays out
    assert fill_dictionary(reopened.engine) == 0  # once: the table says it is done


def test_a_read_listing_the_plate_twice_is_matched_once_with_its_best_confidence(
    store: ReadStore,
) -> None:
    """Two candidates of one read can name one plate (``Y69 X2G`` and ``Y69X2G``
    normalise alike), and a retried read is stored twice: the read is one match, marked
    with the higher confidence."""
    from plateledger.store.candidates import candidate_matches

    read = make_read("YG9X2G", owner=1)
    store.insert_reads([read])
    stored = StoredRead(read.read_id, read.owner_id, read.plate, read.expires_at)
    listed = (Candidate(read.plate, read.plate_key, 0.9), Candidate(TRUE, confusion_key(TRUE), 0.4),
              Candidate(TRUE, confusion_key(TRUE), 0.7))
    add_extras(store.engine, [(stored, Extras(candidates=listed))])
    add_extras(store.engine, [(stored, Extras(candidates=listed))])  # a retry
    [match] = candidate_matches(store.engine, TRUE, confusion_key(TRUE))
    assert (match.read_id, match.read_plate) == (read.read_id, read.plate)
    assert match.confidence == pytest.approx(0.7)
    page = search_exact(store, TRUE, Scope({1: OwnerLimit()}), Filters())
    [found] = page.results
    assert found.read_id == read.read_id and found.candidate_confidence == 0.7
