"""Plate searches: exact, wildcard and fuzzy (OCR-confusion aware).

Wildcard and fuzzy searches first find candidate plates, then fetch their reads. The
plate dictionary (every owner's distinct plates) only narrows where to look: a candidate
is kept only if a read of it lies inside the decided scope — an allowed owner, within its
lookback, not expired, within its result cap — so a denied owner's plates change nothing
in the answer, not even the list of plates considered or the ``truncated`` flag.

Both exact and fuzzy searches also find reads through the candidates a vendor or our own
recogniser kept beside them (`plateledger.store.candidates`): a read stored as ``7A8C123``
with the candidate ``7ABC123`` is found by an exact search for ``7ABC123`` and a fuzzy one
for ``7ABC128``, within the same scope, marked with the candidate's confidence; such
candidate plates are never listed among a fuzzy search's plates considered.
"""

from __future__ import annotations

import uuid

from plateledger.plates import (
    confusion_key,
    deletion_variants,
    normalize_plate,
    parse_wildcard,
    plate_distance,
)
from plateledger.search.filters import Filters
from plateledger.search.reads import Through, page_for_plates
from plateledger.search.result import SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.candidates import candidate_matches, near_candidate_matches
from plateledger.store.schema import READ_IDENTITY, TIE

MAX_CANDIDATES = 500
"""Most distinct plates a wildcard or fuzzy search fetches reads for."""

FUZZY_MAX_DISTANCE = 1.5
"""Ranking distance beyond which a candidate is dropped (one plain edit plus confusables)."""


def search_exact(store: ReadStore, plate: str, scope: Scope, filters: Filters) -> SearchPage:
    """Reads of exactly this plate (after normalisation), and reads stored under another
    plate that the vendor listed this plate among their candidates (``candidate_confidence``
    set): both within the same scope and filters, newest first."""
    normalized = normalize_plate(plate)
    if scope.is_empty():
        return page_for_plates(store, "exact", [normalized], scope, filters)
    through = {m.read_id: Through(m.read_plate, m.confidence)
               for m in candidate_matches(store.engine, normalized, confusion_key(normalized))}
    return page_for_plates(store, "exact", [normalized], scope, filters, through=through)


def search_wildcard(store: ReadStore, pattern: str, scope: Scope, filters: Filters) -> SearchPage:
    """Reads whose plate matches ``*``/``?`` pattern, the candidates in plate order."""
    wildcard = parse_wildcard(pattern)
    params: dict[str, object] = {"like": wildcard.like}
    if wildcard.prefix:
        # The reads table is sorted by plate: a literal prefix is a range of its index.
        params["prefix"] = wildcard.prefix
        match = "startsWith(plate, {prefix:String}) AND plate LIKE {like:String}"
    else:
        # No prefix to range over: the dictionary of distinct plates names the plates to
        # look up (an IN set the index can use), instead of scanning every read.
        match = (
            "plate IN (SELECT plate FROM {db}.plates WHERE plate LIKE {like:String}) "
            "AND plate LIKE {like:String}"
        )
    plates = plates_in_scope(
        store, match, params, scope, filters, order=f"ts DESC, {TIE}",
        limit=MAX_CANDIDATES + 1,
    )
    truncated = len(plates) > MAX_CANDIDATES
    plates = plates[:MAX_CANDIDATES]
    return page_for_plates(
        store, "wildcard", plates, scope, filters, candidates=plates, truncated=truncated
    )


def fuzzy_candidates(store: ReadStore, plate: str) -> dict[str, float]:
    """Known plates (of any owner: the caller narrows them to its scope) within one edit of
    ``plate`` once confusable characters are folded, with their confusion-weighted
    distance, best first."""
    query = normalize_plate(plate)
    variants = deletion_variants(confusion_key(query))
    table = store.query(
        "SELECT DISTINCT plate FROM {db}.plate_variants WHERE variant IN {v:Array(String)}",
        {"v": variants},
    )
    scored = {
        str(candidate): plate_distance(query, str(candidate))
        for candidate in table.column("plate").to_pylist()
    }
    ranked = sorted(
        ((d, p) for p, d in scored.items() if d <= FUZZY_MAX_DISTANCE), key=lambda x: x
    )
    return {p: d for d, p in ranked}


def search_fuzzy(store: ReadStore, plate: str, scope: Scope, filters: Filters) -> SearchPage:
    """Reads of plates a camera may have misread as ``plate`` (or vice versa), ranked by
    confusion-weighted distance, then newest first."""
    scored = fuzzy_candidates(store, plate)
    if scored:
        params: dict[str, object] = {
            "known": list(scored), "d_plates": list(scored),
            "d_values": [float(v) for v in scored.values()],
        }
        in_scope = set(plates_in_scope(
            store, "plate IN {known:Array(String)}", params, scope, filters,
            order=f"distance, ts DESC, {TIE}", limit=len(scored),
            select=f"plate, ts, {TIE}, transform(plate, {{d_plates:Array(String)}}, "
                   "{d_values:Array(Float64)}, 99.0) AS distance",
        ))
    else:
        in_scope = set()
    ranked = [p for p in scored if p in in_scope]
    truncated = len(ranked) > MAX_CANDIDATES
    kept = {p: scored[p] for p in ranked[:MAX_CANDIDATES]}
    # Reads whose candidate is near the plate, stored under a plate that is not: found
    # within the same scope and filters, ranked at the candidate's distance. The candidate
    # plates are not listed (a denied owner's read may be what holds them).
    through = {} if scope.is_empty() else _near_candidates(store, scored)
    return page_for_plates(
        store, "fuzzy", list(kept), scope, filters, distances=kept, candidates=list(kept),
        truncated=truncated, through=through,
    )


def _near_candidates(store: ReadStore, scored: dict[str, float]) -> dict[uuid.UUID, Through]:
    """Reads (of any owner: the caller fetches them within its scope) listing a candidate
    among the ``scored`` plates, each through its nearest such candidate."""
    best: dict[uuid.UUID, Through] = {}
    for match in near_candidate_matches(store.engine, list(scored)[:MAX_CANDIDATES]):
        distance = scored[match.candidate]
        if match.read_id not in best or distance < best[match.read_id].distance:
            best[match.read_id] = Through(match.read_plate, match.confidence, distance)
    return best


def plates_in_scope(
    store: ReadStore, match: str, params: dict[str, object], scope: Scope, filters: Filters,
    *, order: str, limit: int, select: str = f"plate, ts, {TIE}",
) -> list[str]:
    """The first ``limit`` distinct plates, in plate order, of the reads matching ``match``
    that this search may return: of an allowed owner within its lookback, unexpired,
    within the filters, and among each capped owner's first reads in ``order`` (the
    page's order, so that the cap counts the same reads the page would)."""
    if scope.is_empty():
        return []
    params["plates_limit"] = limit
    source = (
        f"SELECT {select} FROM {{db}}.reads WHERE {match} AND {scope.sql(params)} "
        f"AND {filters.sql(params)}"
    )
    if scope.caps():
        source = scope.capped(
            f"{source} ORDER BY {order} LIMIT 1 BY {READ_IDENTITY}", order, params
        )
    table = store.query(
        f"SELECT plate FROM ({source}) GROUP BY plate ORDER BY plate "
        "LIMIT {plates_limit:UInt32}",
        params,
    )
    return [str(p) for p in table.column("plate").to_pylist()]
