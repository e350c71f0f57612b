"""An export of a stakeout or a convoy holds every read of its plates, however many.

A page of such a search is a page of plates, its rows their reads, at most `MAX_PAGE` of
them. An export pages on until ``max_rows``: a plate seen more often than one page holds
(a car parked under a camera all day) is read on in pages of its own reads, and the plates
ranked after it still come. Both ways each search answers (the rows ranked in Python up to
a cap, the engine's grouping past it) are asked.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plateledger.access.exports import ExportCreate, collect
from plateledger.read import PlateRead
from plateledger.search import OwnerLimit, Scope
from plateledger.search import convoy as convoy_search
from plateledger.search import stakeout as stakeout_search
from plateledger.search.filters import MAX_PAGE
from plateledger.store import ReadStore
from tests.factories import make_read, unique_plate

NOW = datetime.now(UTC).replace(microsecond=0)
OWN = Scope({1: OwnerLimit()})
HEAVY = 2 * MAX_PAGE + 300


def _reads(plate: str, camera: str, count: int, *, end_minutes_ago: float, step_s: float,
           lat: float, lon: float) -> list[PlateRead]:
    return [make_read(plate, camera=camera, now=NOW, lat=lat, lon=lon,
                      minutes_ago=end_minutes_ago + i * step_s / 60) for i in range(count)]


def _body(kind: str, **parts: Any) -> ExportCreate:
    return ExportCreate.model_validate({
        "kind": kind, "offense_type": "240", "purpose": "investigation", "reason": "test",
        "params": {"since": NOW - timedelta(hours=6), "until": NOW, **parts.pop("params", {})},
        **parts,
    })


@pytest.fixture(params=["ranked here", "grouped by the engine"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "grouped by the engine":  # past the cap of reads ranked in Python
        monkeypatch.setattr(stakeout_search, "READ_CAP", 50)
        monkeypatch.setattr(convoy_search, "CANDIDATE_CAP", 50)
    return str(request.param)


def test_a_stakeout_export_holds_every_read_of_a_plate_seen_more_than_a_page(
    store: ReadStore, path: str
) -> None:
    stem = unique_plate("7")[:5]
    first, heavy, last = stem + "A1", stem + "B2", stem + "C3"
    spot = {"lat": 37.1, "lon": -122.1}
    store.insert_reads(
        _reads(first, "cam-s", 3, end_minutes_ago=10, step_s=60, **spot)
        + _reads(heavy, "cam-s", HEAVY, end_minutes_ago=5, step_s=2, **spot)
        + _reads(last, "cam-s", 4, end_minutes_ago=12, step_s=60, **spot)
    )
    area = {"shape": "circle", "meters": 200, "since": NOW - timedelta(hours=3),
            "until": NOW, **spot}
    body = _body("stakeout", stakeout={"areas": [area], "min_areas": 1})

    page = collect(store, None, body, OWN, NOW, asking=frozenset())

    counts = Counter(r.plate for r in page.results)
    assert counts == {first: 3, heavy: HEAVY, last: 4}
    assert len({r.read_id for r in page.results}) == len(page.results)
    assert [r.plate for r in page.results][:4] == [first] * 3 + [heavy]
    assert page.results[-1].plate == last and page.total == 3

    capped = collect(store, None, body.model_copy(update={"max_rows": MAX_PAGE + 500}), OWN,
                     NOW, asking=frozenset())
    assert Counter(r.plate for r in capped.results) == {first: 3, heavy: MAX_PAGE + 497}


def test_a_convoy_export_holds_every_paired_read_of_a_companion_seen_more_than_a_page(
    store: ReadStore, path: str
) -> None:
    stem = unique_plate("8")[:5]
    target, heavy, light = stem + "T0", stem + "H1", stem + "L2"
    a = {"lat": 37.1, "lon": -122.1}
    b = {"lat": 37.2, "lon": -122.2}
    half = MAX_PAGE - 200  # each place: 800 reads within 40 s of the target's, 1,600 in all
    store.insert_reads([
        make_read(target, camera="cam-a", minutes_ago=100, now=NOW, **a),
        make_read(target, camera="cam-b", minutes_ago=50, now=NOW, **b),
        *_reads(heavy, "cam-a", half, end_minutes_ago=100 - 20 / 60, step_s=0.05, **a),
        *_reads(heavy, "cam-b", half, end_minutes_ago=50 - 20 / 60, step_s=0.05, **b),
        make_read(light, camera="cam-a", minutes_ago=100.2, now=NOW, **a),
        make_read(light, camera="cam-b", minutes_ago=50.2, now=NOW, **b),
    ])
    body = _body("convoy", params={"plate": target},
                 convoy={"window_seconds": 60, "min_places": 2})

    page = collect(store, None, body, OWN, NOW, asking=frozenset())

    assert Counter(r.plate for r in page.results) == {heavy: 2 * half, light: 2}
    assert len({r.read_id for r in page.results}) == len(page.results)
    assert page.results[-1].plate == light and page.total == 2
