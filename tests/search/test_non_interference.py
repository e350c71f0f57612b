"""Non-interference at the search layer: what a search returns — rows, totals, candidate
plates, the ``truncated`` flag, every page — is a function of the reads its scope allows
and of nothing else. A denied owner's reads, an allowed owner's reads older than its
lookback, and expired reads change no byte of any answer.

Each example builds a random world whose plates collide across owners, searches it with
only the reads the scope may see, adds every other read, and searches again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plateledger.plates import confusion_key
from plateledger.read import PlateRead
from plateledger.search import (
    Filters,
    OwnerLimit,
    Scope,
    search_area,
    search_exact,
    search_fuzzy,
    search_wildcard,
)
from plateledger.search import plate as plate_search
from plateledger.store import ReadStore
from plateledger.store.candidates import Candidate, Extras, StoredRead, add_extras
from tests.conftest import _empty
from tests.factories import make_read

NOW = datetime.now(UTC).replace(microsecond=0)
OWNERS = (1, 2, 3, 4)
# Few plates, so that owners share them, confusable spellings included.
PLATES = ("7ABC123", "7ABC128", "7A8C123", "7ABD123", "8ABC123", "7AXY900", "4ZZZ111")
CAMERAS = ("cam-a", "cam-b", "cam-c")


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Scope, list[PlateRead], list[PlateRead]]:
    """A scope, the reads it may see, and the reads it must not (denied owners, reads past
    an allowed owner's lookback, expired reads)."""
    allowed = draw(st.sets(st.sampled_from(OWNERS), max_size=3))
    limits: dict[int, OwnerLimit] = {}
    for owner in sorted(allowed):
        lookback = draw(st.none() | st.integers(min_value=30, max_value=600))
        cap = draw(st.none() | st.integers(min_value=1, max_value=4))
        since = None if lookback is None else NOW - timedelta(minutes=lookback)
        limits[owner] = OwnerLimit(since=since, result_cap=cap)
    scope = Scope(limits)
    visible: list[PlateRead] = []
    hidden: list[PlateRead] = []
    count = draw(st.integers(min_value=1, max_value=30))
    for i in range(count):
        owner = draw(st.sampled_from(OWNERS))
        minutes = draw(st.integers(min_value=1, max_value=900))
        expired = draw(st.booleans())
        read = make_read(
            draw(st.sampled_from(PLATES)), owner=owner, camera=draw(st.sampled_from(CAMERAS)),
            minutes_ago=minutes + i / 1000, now=NOW,
            keep_days=(minutes - 0.5) / 1440 if expired else 30.0,
        )
        limit = limits.get(owner)
        seen = (limit is not None and not expired
                and (limit.since is None or read.ts >= limit.since))
        (visible if seen else hidden).append(read)
    return scope, visible, hidden


def stored(store: ReadStore, reads: list[PlateRead]) -> None:
    """``reads`` stored, each with a candidate (the next of `PLATES`), so that exact and
    fuzzy searches also reach reads through candidates, a denied owner's included."""
    store.insert_reads(reads)
    extras = []
    for read in reads:
        other = PLATES[(PLATES.index(read.plate) + 1) % len(PLATES)]
        extras.append((StoredRead(read.read_id, read.owner_id, read.plate, read.expires_at),
                       Extras(candidates=(Candidate(other, confusion_key(other), 0.3),))))
    add_extras(store.engine, extras)


def answers(store: ReadStore, scope: Scope, filters: Filters) -> list[dict[str, Any]]:
    window = Filters(since=NOW - timedelta(days=2), until=NOW, cameras=CAMERAS,
                     limit=filters.limit, offset=filters.offset)
    pages = [
        search_exact(store, "7ABC123", scope, filters),
        search_wildcard(store, "7A*", scope, filters),
        search_wildcard(store, "*12?", scope, filters),
        search_fuzzy(store, "7ABC123", scope, filters),
        search_area(store, scope, window),
        search_area(store, scope, window, "7ABC123"),
    ]
    return [p.model_dump(mode="json") for p in pages]


PAGINGS = (Filters(), Filters(limit=2), Filters(limit=2, offset=2), Filters(limit=3, offset=5))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_reads_outside_the_scope_change_no_answer(
    store: ReadStore, world: tuple[Scope, list[PlateRead], list[PlateRead]]
) -> None:
    scope, visible, hidden = world
    _empty(store)
    if visible:
        stored(store, visible)
    before = [answers(store, scope, f) for f in PAGINGS]
    if hidden:
        stored(store, hidden)
    after = [answers(store, scope, f) for f in PAGINGS]
    assert after == before


@pytest.mark.parametrize("kind", ["wildcard", "fuzzy"])
def test_a_denied_owners_plates_neither_fill_nor_truncate_the_candidates(
    store: ReadStore, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The candidate limit counts only plates the scope may see: a denied owner with many
    similar plates cannot push an allowed plate out, nor set ``truncated``."""
    monkeypatch.setattr(plate_search, "MAX_CANDIDATES", 2)
    mine = Scope({1: OwnerLimit()})
    store.insert_reads([make_read("7ABC123", owner=1, now=NOW)])
    alone = (search_wildcard(store, "7ABC12?", mine, Filters()) if kind == "wildcard"
             else search_fuzzy(store, "7ABC123", mine, Filters()))
    store.insert_reads([make_read(p, owner=2, now=NOW)
                        for p in ("7ABC120", "7ABC121", "7ABC122", "7ABC124", "7A8C123")])
    crowded = (search_wildcard(store, "7ABC12?", mine, Filters()) if kind == "wildcard"
               else search_fuzzy(store, "7ABC123", mine, Filters()))
    assert crowded.candidates == alone.candidates == ["7ABC123"]
    assert crowded.truncated is alone.truncated is False
    assert crowded.model_dump() == alone.model_dump()


def test_a_scope_that_allows_nobody_considers_no_plate(store: ReadStore) -> None:
    store.insert_reads([make_read(p, owner=1, now=NOW) for p in PLATES])
    nobody = Scope({})
    for page in (search_wildcard(store, "7A*", nobody, Filters()),
                 search_fuzzy(store, "7ABC123", nobody, Filters())):
        assert page.candidates == [] and page.total == 0 and not page.truncated
