"""An exact search finds a read by a vendor candidate only within the decided scope: an
owner outside it, a read beyond the owner's lookback, an expired read or one outside the
filters never shows, whichever plate matched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plateledger.plates import confusion_key
from plateledger.read import PlateRead
from plateledger.search import search_exact
from plateledger.search.filters import Filters
from plateledger.search.scope import OwnerLimit, Scope
from plateledger.store import ReadStore
from plateledger.store.candidates import Candidate, Extras, StoredRead, add_extras
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
