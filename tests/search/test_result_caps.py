"""An agreement's result cap: a capped owner contributes at most that many reads to a
search (its newest, or its nearest for fuzzy), whatever page is asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plateledger.search import Filters, OwnerLimit, Scope, search_area, search_exact, search_fuzzy
from plateledger.store import ReadStore
from tests.factories import make_read

CAPPED = Scope({1: OwnerLimit(), 2: OwnerLimit(result_cap=3)})


@pytest.fixture
def now(store: ReadStore) -> datetime:
    now = datetime.now(UTC)
    reads = [make_read("7CAP123", owner=owner, camera=f"fx-{owner}", minutes_ago=m, now=now)
             for owner in (1, 2) for m in range(1, 6)]
    reads.append(make_read("7CAP128", owner=2, camera="fx-2", minutes_ago=0.5, now=now))
    store.insert_reads(reads)
    return now


def test_a_capped_owner_gives_only_its_newest_reads(store: ReadStore, now: datetime) -> None:
    page = search_exact(store, "7CAP123", CAPPED, Filters())
    assert page.total == 8
    mine = [r for r in page.results if r.owner_id == 2]
    assert len(mine) == 3
    newest = sorted((r.ts for r in page.results if r.owner_id == 2), reverse=True)
    assert min(newest) == now.replace(microsecond=now.microsecond // 1000 * 1000) - timedelta(
        minutes=3)


def test_paging_never_reaches_past_the_cap(store: ReadStore, now: datetime) -> None:
    pages = [search_exact(store, "7CAP123", CAPPED, Filters(limit=2, offset=o))
             for o in range(0, 10, 2)]
    owners = [r.owner_id for p in pages for r in p.results]
    assert owners.count(2) == 3 and owners.count(1) == 5
    assert {p.total for p in pages} == {8}


def test_an_uncapped_scope_sees_every_read(store: ReadStore, now: datetime) -> None:
    everyone = Scope({1: OwnerLimit(), 2: OwnerLimit()})
    assert search_exact(store, "7CAP123", everyone, Filters()).total == 10


def test_the_cap_holds_for_fuzzy_and_area_searches(store: ReadStore, now: datetime) -> None:
    fuzzy = search_fuzzy(store, "7CAP123", CAPPED, Filters())
    assert len([r for r in fuzzy.results if r.owner_id == 2]) == 3
    window = Filters(since=now - timedelta(hours=1), until=now, cameras=("fx-1", "fx-2"))
    area = search_area(store, CAPPED, window)
    assert area.total == 8
    assert len([r for r in area.results if r.owner_id == 2]) == 3
