"""One page of a search across nodes: each node's first ``offset + limit`` results,
merged in the kind's own order, cut to ``[offset, offset + limit)``.

Paging across nodes follows the paging of a local search: each page is a search of its
own (its UUID, its entry here and in each owner's log). Every node — this one and each
partner — is asked for the *window*, its first ``offset + limit`` results (reads, or
plates for a stakeout, companions for a convoy) in the kind's order, under its own
policy and caps; any result of the merged page is among the first ``offset + limit`` of
the node that holds it, so the merged window cut to ``[offset, offset + limit)`` is the
page a single store of all the allowed reads would give. The window is at most
`MAX_WINDOW` reads, or one page of the API (`MAX_PAGE`) of a stakeout's plates or a
convoy's companions: a deeper page is refused (``page_too_deep``) where partners are
asked. ``total`` sums the nodes' totals (at most `MAX_COUNT`).

The kinds' orders: newest first (exact, wildcard, area, attributes), closest first then
newest (fuzzy), oldest first (timeline); a stakeout's plates by areas matched then plate,
a convoy's companions by places, co-occurrences, then plate, their rows companion by
companion (plate by plate), then by time. A plate or companion two nodes found is one
entry (its areas joined; its places, co-occurrences and reads added). A timeline's path
is the nodes' stops in time order; a pattern of life (locate) adds the nodes' counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from plateledger.access.errors import AccessDenied
from plateledger.access.searches import SearchCreate, SearchResponse
from plateledger.search import ReadOut
from plateledger.search.filters import MAX_PAGE
from plateledger.search.locate import MAX_PLACES

__all__ = ["MAX_COUNT", "MAX_WINDOW", "RANKED", "NodePage", "deepest", "merge_pages", "window"]

RANKED = frozenset({"stakeout", "convoy"})
"""Kinds whose page is a page of ranked entries (plates, companions), not of reads."""


@dataclass
class NodePage:
    """What is taken of one node's answer: its reads, its total, and — only where every
    owner it allowed is one that node answers for here — its ranked entries, path or
    pattern (they count reads of all the owners it allowed)."""

    reads: list[ReadOut] = field(default_factory=list)
    total: int = 0
    path: list[dict[str, Any]] | None = None
    stakeout: list[dict[str, Any]] | None = None
    companions: list[dict[str, Any]] | None = None
    pattern: dict[str, Any] | None = None


MAX_COUNT = 2**53 - 1
"""The largest count or log index a node's answer may carry: the largest integer the
audit log's canonical JSON (RFC 8785, I-JSON) writes exactly. A partner's answer past it
is a bad answer, never an entry this node cannot write."""

MAX_WINDOW = 10_000
"""Most reads a node is asked for to make one page of a search across nodes (its first
``offset + limit``): as many as an export takes."""


def deepest(kind: str) -> int:
    """How far into a search's results a page may end where partners are asked: a page of
    reads within `MAX_WINDOW`; a stakeout's plates or a convoy's companions (whose rows come
    with them) within one page of the API."""
    return MAX_PAGE if kind in RANKED else MAX_WINDOW


def window(body: SearchCreate) -> SearchCreate:
    """``body`` asking for its first ``offset + limit`` results, from the first one (its
    ``limit`` may pass one page of the API: a copy, not validated); a pattern of life (no
    rows, no page) as it is. Raises `AccessDenied` (``page_too_deep``) past `deepest`."""
    if body.kind == "locate":
        return body
    params = body.params
    end = params.offset + params.limit
    if end > deepest(body.kind):
        raise AccessDenied(
            "page_too_deep",
            f"with partner nodes asked, a page of a {body.kind} search must end within its "
            f"first {deepest(body.kind)} results (offset + limit = {end}): narrow the "
            "search instead",
        )
    return body.model_copy(update={"params": params.model_copy(update={"limit": end, "offset": 0})})


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    found = datetime.fromisoformat(str(value))
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _read_order(kind: str) -> Callable[[ReadOut], tuple[Any, ...]]:
    if kind == "timeline":
        return lambda r: (r.ts, str(r.read_id), r.owner_id)
    if kind == "fuzzy":
        return lambda r: (
            99.0 if r.distance is None else r.distance,
            -r.ts.timestamp(),
            str(r.read_id),
        )
    return lambda r: (-r.ts.timestamp(), str(r.read_id), r.owner_id)


def _plates(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stakeout plates of several nodes: one entry per plate, ranked."""
    merged: dict[str, dict[str, Any]] = {}
    for e in entries:
        seen = merged.get(e["plate"])
        if seen is None:
            merged[e["plate"]] = {
                "plate": e["plate"],
                "areas_matched": sorted(set(e["areas_matched"])),
                "reads": int(e["reads"]),
            }
            continue
        seen["areas_matched"] = sorted(set(seen["areas_matched"]) | set(e["areas_matched"]))
        seen["reads"] += int(e["reads"])
    return sorted(merged.values(), key=lambda e: (-len(e["areas_matched"]), e["plate"]))


def _companions(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Convoy companions of several nodes: one entry per plate, ranked."""
    merged: dict[str, dict[str, Any]] = {}
    for e in entries:
        first, last = _time(e["first_seen"]), _time(e["last_seen"])
        seen = merged.get(e["plate"])
        if seen is None:
            merged[e["plate"]] = {
                "plate": e["plate"],
                "places": int(e["places"]),
                "co_occurrences": int(e["co_occurrences"]),
                "first_seen": first,
                "last_seen": last,
            }
            continue
        seen["places"] += int(e["places"])
        seen["co_occurrences"] += int(e["co_occurrences"])
        seen["first_seen"] = min(seen["first_seen"], first)
        seen["last_seen"] = max(seen["last_seen"], last)
    return sorted(merged.values(), key=lambda e: (-e["places"], -e["co_occurrences"], e["plate"]))


def _pattern(patterns: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Patterns of life of several nodes, added: hours, weekdays, and places (a camera is
    one node's)."""
    by_hour, by_weekday = [0] * 24, [0] * 7
    places: dict[str, dict[str, Any]] = {}
    for p in patterns:
        by_hour = [a + int(b) for a, b in zip(by_hour, p["by_hour"], strict=True)]
        by_weekday = [a + int(b) for a, b in zip(by_weekday, p["by_weekday"], strict=True)]
        for place in p["places"]:
            seen = places.setdefault(place["camera_id"], dict(place, reads=0))
            seen["reads"] += int(place["reads"])
    ranked = sorted(places.values(), key=lambda p: (-p["reads"], p["camera_id"]))
    return {"by_hour": by_hour, "by_weekday": by_weekday, "places": ranked[:MAX_PLACES]}


def merge_pages(
    body: SearchCreate, local: SearchResponse, nodes: Sequence[NodePage]
) -> dict[str, Any]:
    """The merged page of ``body`` (the user's own offset and limit) from this node's
    window ``local`` and the partners' ``nodes``: the fields of the answer to update."""
    kind, offset, limit = body.kind, body.params.offset, body.params.limit
    here = NodePage(
        reads=list(local.results),
        total=local.total,
        path=local.path,
        stakeout=local.stakeout,
        companions=local.companions,
        pattern=local.pattern,
    )
    pages = [here, *nodes]
    update: dict[str, Any] = {
        # each node's total is at most MAX_COUNT, their sum may not be: it is logged
        "total": min(sum(p.total for p in pages), MAX_COUNT),
        "limit": limit,
        "offset": offset,
    }
    reads = [r for p in pages for r in p.reads]
    if kind == "locate":
        update["pattern"] = _pattern([p.pattern for p in pages if p.pattern is not None])
        update["results"] = []
        return update
    if kind in RANKED:
        part = "stakeout" if kind == "stakeout" else "companions"
        merge = _plates if kind == "stakeout" else _companions
        ranked = merge(e for p in pages for e in (getattr(p, part) or []))
        kept = ranked[offset : offset + limit]
        rank = {e["plate"]: i for i, e in enumerate(kept)}
        rows = [r for r in reads if r.plate in rank]
        rows.sort(key=lambda r: (rank[r.plate], r.ts, str(r.read_id), r.owner_id))
        update[part] = kept
        update["results"] = rows[:MAX_PAGE]
        return update
    reads.sort(key=_read_order(kind))
    update["results"] = reads[offset : offset + limit]
    if kind == "timeline":
        stops = [s for p in pages for s in (p.path or [])]
        update["path"] = sorted(stops, key=lambda s: _time(s["first_seen"]))
    return update
