"""Paging across two real nodes: pages 1, 2 and 3 of one search give every read of both
nodes once, in the kind's order, each page a search of its own in both logs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.federation.test_fanout import entries, new_plate
from tests.federation.test_kinds import FR1, UC1, WINDOW, Pair, at, read, two_nodes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> Iterator[Pair]:
    with two_nodes(tmp_path_factory, store_path, cap=None) as found:
        yield found


def plant_interleaved(pair: Pair, plate: str) -> list[tuple[str, int]]:
    """Four reads at Union City and four at Fremont, alternating in time: (camera, second)
    oldest first."""
    owner = [read("uc-1", UC1, plate, 100 * i) for i in (1, 3, 5, 7)]
    local = [read("fr-1", FR1, plate, 100 * i) for i in (2, 4, 6, 8)]
    pair.plant(owner, local)
    return [("uc-1" if i % 2 else "fr-1", 100 * i) for i in range(1, 9)]


def pages(pair: Pair, kind: str, params: dict[str, Any], size: int) -> list[dict[str, Any]]:
    return [
        pair.search("fred", kind, params | {"limit": size, "offset": offset})
        for offset in (0, size, 2 * size)
    ]


@pytest.mark.parametrize("kind", ["exact", "timeline"])
def test_three_pages_give_every_read_of_both_nodes_once_in_order(pair: Pair, kind: str) -> None:
    plate = new_plate("8P")
    planted = plant_interleaved(pair, plate)
    expected = planted if kind == "timeline" else planted[::-1]
    found = pages(pair, kind, WINDOW | {"plate": plate}, 3)
    assert [len(p["results"]) for p in found] == [3, 3, 2]
    assert [(p["offset"], p["limit"], p["total"]) for p in found] == [
        (0, 3, 8),
        (3, 3, 8),
        (6, 3, 8),
    ]
    seen = [r for p in found for r in p["results"]]
    stamps = [r["ts"] for r in seen]
    assert [r["camera_id"] for r in seen] == [camera for camera, _ in expected]
    assert stamps == sorted(stamps, reverse=kind != "timeline")
    assert len({r["read_id"] for r in seen}) == 8
    for p in found:  # each page lists the partner's reads it holds, no more
        shown = sum(1 for r in p["results"] if r["owner_id"] == pair.ucpd_id)
        assert [o["returned"] for o in p["remote_owners"]] == [shown]
    ids = [p["search_id"] for p in found]
    assert len(set(ids)) == 3
    theirs = {
        e["query"]["search_id"]: e["query"]
        for _, e in entries(pair.owner_settings, "search")
        if e["query"].get("search_id") in ids
    }
    assert [(theirs[i]["limit"], theirs[i].get("offset", 0)) for i in ids] == [
        (3, 0),
        (6, 0),
        (9, 0),
    ]
    mine = {
        e["query"]["search_id"]: (e["query"]["limit"], e["federated_page"])
        for _, e in entries(pair.settings, "search")
        if e["query"].get("search_id") in ids
    }
    assert [mine[i] for i in ids] == [
        (3, {"offset": 0, "limit": 3}),
        (6, {"offset": 3, "limit": 3}),
        (9, {"offset": 6, "limit": 3}),
    ]
    fanned = {
        e["search_id"]: e["page"]
        for _, e in entries(pair.settings, "federated_search")
        if e["search_id"] in ids
    }
    assert [fanned[i]["offset"] for i in ids] == [0, 3, 6]
    assert [sum(fanned[i]["returned_by_owner"].values()) for i in ids] == [3, 3, 2]


def test_a_stakeouts_pages_are_pages_of_plates_across_both_nodes(pair: Pair) -> None:
    """Two plates seen only at Union City's camera, two only at Fremont's; a stakeout of
    both places (one area each, either will do) ranks the four by plate, and its pages
    of one plate each give them in that order, each with only its own rows."""
    plates = sorted(new_plate("8S") for _ in range(4))
    pair.plant(
        [read("uc-1", UC1, p, 5000 + i) for i, p in enumerate(plates) if i % 2 == 0],
        [read("fr-1", FR1, p, 5000 + i) for i, p in enumerate(plates) if i % 2 == 1],
    )
    window = {"since": at(4900).isoformat(), "until": at(5100).isoformat()}
    areas = {
        "areas": [
            {"shape": "circle", "lat": UC1[0], "lon": UC1[1], "meters": 300} | window,
            {"shape": "circle", "lat": FR1[0], "lon": FR1[1], "meters": 300} | window,
        ],
        "min_areas": 1,
    }
    found = [
        pair.search("fred", "stakeout", {"limit": 1, "offset": o}, stakeout=areas) for o in range(4)
    ]
    assert [[s["plate"] for s in p["stakeout"]] for p in found] == [[p] for p in plates]
    assert [{r["plate"] for r in p["results"]} for p in found] == [{p} for p in plates]
    assert [p["total"] for p in found] == [4, 4, 4, 4]
    assert [{r["owner_id"] for r in p["results"]} for p in found] == [
        {pair.ucpd_id},
        {pair.fpd_id},
        {pair.ucpd_id},
        {pair.fpd_id},
    ]


def test_pages_past_the_first_thousand_reads_come_from_both_nodes_in_order(pair: Pair) -> None:
    """1,200 reads of one plate, alternating between the nodes second by second: a page
    deeper than one page of the API asks each node for its first ``offset + limit`` reads
    (``window``) and cuts the merge, as the first pages do."""
    plate = new_plate("8T")
    pair.plant(
        [read("uc-1", UC1, plate, s) for s in range(0, 1200, 2)],
        [read("fr-1", FR1, plate, s) for s in range(1, 1200, 2)],
    )
    newest_first = list(range(1199, -1, -1))
    for offset, limit in ((1000, 100), (1150, 100)):
        page = pair.search("fred", "exact", {"plate": plate, "limit": limit, "offset": offset})
        want = newest_first[offset : offset + limit]
        assert page["total"] == 1200
        stamps = [datetime.fromisoformat(r["ts"].replace("Z", "+00:00")) for r in page["results"]]
        assert stamps == [at(s) for s in want]
        assert [r["camera_id"] for r in page["results"]] == [
            "fr-1" if s % 2 else "uc-1" for s in want
        ]
        [(_, theirs)] = [
            (i, e) for i, e in entries(pair.owner_settings, "search")
            if e["query"].get("search_id") == page["search_id"]
        ]
        assert (theirs["query"]["limit"], theirs["returned"]) == (offset + limit, 600)


@pytest.mark.parametrize(("kind", "offset", "limit"), [("exact", 9_995, 10),
                                                       ("stakeout", 995, 10)])
def test_a_page_past_the_window_is_refused_with_partners(
    pair: Pair, kind: str, offset: int, limit: int
) -> None:
    body: dict[str, Any] = {
        "kind": kind,
        "params": {"plate": new_plate("8D"), "limit": limit, "offset": offset},
        "purpose": "stolen_vehicle",
        "offense_type": "240",
        "case_number": "FR-2026-0042",
        "reason": "stolen white pickup seen leaving the lot",
    }
    if kind == "stakeout":
        window = {"since": at(0).isoformat(), "until": at(60).isoformat()}
        body["params"] = {"limit": limit, "offset": offset}
        body["stakeout"] = {
            "areas": [{"shape": "circle", "lat": UC1[0], "lon": UC1[1], "meters": 300} | window],
            "min_areas": 1,
        }
    response = pair.requester.post(
        "/v1/searches", json=body, headers={"Authorization": f"Bearer {pair.token('fred')}"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "page_too_deep"
