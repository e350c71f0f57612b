"""Plate searches: exact, wildcard and fuzzy (OCR-confusion aware)."""

from __future__ import annotations

from plateledger.plates import (
    confusion_key,
    deletion_variants,
    normalize_plate,
    parse_wildcard,
    plate_distance,
)
from plateledger.search.filters import Filters
from plateledger.search.reads import page_for_plates
from plateledger.search.result import SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore

MAX_CANDIDATES = 500
"""Most distinct plates a wildcard or fuzzy search fetches reads for."""

FUZZY_MAX_DISTANCE = 1.5
"""Ranking distance beyond which a candidate is dropped (one plain edit plus confusables)."""


def search_exact(store: ReadStore, plate: str, scope: Scope, filters: Filters) -> SearchPage:
    """Reads of exactly this plate (after normalisation)."""
    return page_for_plates(store, "exact", [normalize_plate(plate)], scope, filters)


def search_wildcard(store: ReadStore, pattern: str, scope: Scope, filters: Filters) -> SearchPage:
    """Reads whose plate matches ``*``/``?`` pattern, via the dictionary of distinct plates."""
    wildcard = parse_wildcard(pattern)
    params: dict[str, object] = {"like": wildcard.like, "cap": MAX_CANDIDATES + 1}
    prefix_clause = ""
    if wildcard.prefix:
        # The plates dictionary is sorted by key; the reads table by plate, so a literal
        # prefix lets ClickHouse skip straight to it.
        params["prefix"] = wildcard.prefix
        prefix_clause = " AND startsWith(plate, {prefix:String})"
    table = store.query(
        "SELECT DISTINCT plate FROM {db}.plates WHERE plate LIKE {like:String}"
        f"{prefix_clause} ORDER BY plate LIMIT {{cap:UInt32}}",
        params,
    )
    plates = [str(p) for p in table.column("plate").to_pylist()]
    truncated = len(plates) > MAX_CANDIDATES
    plates = plates[:MAX_CANDIDATES]
    return page_for_plates(
        store, "wildcard", plates, scope, filters, candidates=plates, truncated=truncated
    )


def fuzzy_candidates(store: ReadStore, plate: str) -> dict[str, float]:
    """Known plates within one edit of ``plate`` once confusable characters are folded,
    with their confusion-weighted distance, best first."""
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
    truncated = len(scored) > MAX_CANDIDATES
    kept = dict(list(scored.items())[:MAX_CANDIDATES])
    return page_for_plates(
        store, "fuzzy", list(kept), scope, filters, distances=kept, candidates=list(kept),
        truncated=truncated,
    )
