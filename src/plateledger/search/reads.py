"""Fetching pages of reads for a set of plates, within scope and filters."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa

from plateledger.search.filters import Filters
from plateledger.search.keyed import SHOWN_SQL, read_outs
from plateledger.search.result import SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.schema import READ_IDENTITY, READ_SELECT, TIE


@dataclass(frozen=True)
class Through:
    """A read reached through one of its candidates (`plateledger.store.candidates`): the
    plate it is stored under, the candidate's confidence, and its ranking distance."""

    read_plate: str
    confidence: float
    distance: float = 0.0


PLATE_LOOKUP = {
    "optimize_move_to_prewhere": 0, "optimize_use_projections": 0, "use_skip_indexes": 0,
    "max_threads": 1,
}
"""Planner settings of a lookup by plates: the rows come by the main key, so the planner
need not weigh a PREWHERE, the camera projection or the read-id skip index (timed by hand
at 10 M reads, interleaved: one plate 8.78 → 8.00 ms, 200 plates 112.8 → 100.8 ms, the
same rows). One thread: a few granules are read, and a second thread costs more CPU than
it saves time (timed by hand, 400 plates interleaved, two runs each: at 10 M reads over
30 days 9.44 → 8.94 and 9.80 → 9.53 ms p50, CPU 9.73 → 9.07 and 10.32 → 9.73 ms a search;
at 20 M reads over 24 months 15.4 → 16.5 and 17.3 → 16.5 ms p50, CPU 18.8 → 16.6 and
18.0 → 16.5 ms). On a server's few cores the CPU is shared by every request.

The plate condition itself is given as the query's ``PREWHERE`` (`fetch_page`): each part
whose key range could hold the plate is first read for the plate column alone, and the
shown columns only where it matches. A plate's history spans months, one partition each,
and most of them do not hold it: with ``WHERE`` alone every such part was read for every
column. Timed by hand (2026-12-07, whole exact search, 200 plates interleaved twice, the
same answers): at 100 M reads over 24 months (25 parts), plates drawn from the plate
dictionary 18.2 → 13.6 ms p50 (CPU 18.3 → 13.7 ms a search), plates of randomly drawn
reads (seen in every month) 23.0 → 23.5 ms; at 20 M reads over 24 months 42.1 → 29.9 ms
and at 10 M reads over 30 days (2 parts) 28.2 → 28.8 ms, no change (both beside a test
run, so high in absolute terms). See docs/benchmarks.md, *At 100 million reads over 24
months*."""


def page_for_plates(
    store: ReadStore,
    kind: str,
    plates: Sequence[str],
    scope: Scope,
    filters: Filters,
    *,
    distances: Mapping[str, float] | None = None,
    candidates: Sequence[str] = (),
    truncated: bool = False,
    through: Mapping[uuid.UUID, Through] | None = None,
) -> SearchPage:
    """Reads of ``plates`` (primary-key lookups), newest first or best distance first;
    with ``through``, also those reads (of any owner: fetched within the same scope and
    filters, each by its own plate and id), marked with the candidate's confidence where
    the candidate ranks it better than its own plate does.

    Retried duplicates are collapsed with ``LIMIT 1 BY`` the read's whole identity (owner
    included, `READ_IDENTITY`) before paging, so a read never shows twice even before a
    background merge removed its copy, and one owner's row never hides another's.
    """
    through = through or {}
    if (not plates and not through) or scope.is_empty():
        return SearchPage(
            kind=kind, total=0, limit=filters.limit, offset=filters.offset, results=[],
            candidates=list(candidates), truncated=truncated,
        )
    params: dict[str, object] = {"plates": list(plates)}
    match = "plate IN {plates:Array(String)}"
    if through:
        params["c_plates"] = sorted({t.read_plate for t in through.values()})
        params["c_ids"] = [str(i) for i in through]
        match = (f"({match} OR (plate IN {{c_plates:Array(String)}} AND "
                 "read_id IN {c_ids:Array(UUID)}))")
    where = f"{match} AND {scope.sql(params)} AND {filters.sql(params)}"
    order = f"ts DESC, {TIE}"
    select = SHOWN_SQL
    if distances is not None:
        params["d_plates"] = list(distances)
        params["d_values"] = [float(v) for v in distances.values()]
        distance = "transform(plate, {d_plates:Array(String)}, {d_values:Array(Float64)}, 99.0)"
        if through:
            params["c_texts"] = params["c_ids"]
            params["c_values"] = [t.distance for t in through.values()]
            distance = (f"least({distance}, transform(toString(read_id), "
                        "{c_texts:Array(String)}, {c_values:Array(Float64)}, 99.0))")
        select = f"{SHOWN_SQL}, {distance} AS distance"
        order = f"distance, ts DESC, {TIE}"
    rows, total = fetch_page(store, scope, filters, where, params, order=order, select=select,
                             settings=store.settings_clause(**PLATE_LOOKUP),
                             prewhere=match)
    results = read_outs(rows, scope)
    own_plates = set(plates)
    for out in results:
        own = (distances.get(out.plate) if distances is not None
               else 0.0 if out.plate in own_plates else None)
        if distances is not None:
            out.distance = own
        via = through.get(out.read_id)
        if via is not None and (own is None or via.distance < own):
            out.candidate_confidence = round(via.confidence, 4)
            if distances is not None:
                out.distance = via.distance
    return SearchPage(
        kind=kind, total=total, limit=filters.limit, offset=filters.offset, results=results,
        candidates=list(candidates), truncated=truncated,
    )


TOTAL = "matches_total"


def fetch_page(
    store: ReadStore, scope: Scope, filters: Filters, where: str, params: dict[str, object],
    *, order: str, select: str = READ_SELECT, settings: str = "", prewhere: str = "",
) -> tuple[pa.Table, int]:
    """One page of the reads matching ``where`` in ``order``, and their total.

    Retried duplicates are collapsed (``LIMIT 1 BY`` `READ_IDENTITY`, owner included) before
    paging; an owner with a result cap contributes at most that many reads (see
    `Scope.capped`). ``settings``: a `ReadStore.settings_clause` for the page's query.
    ``prewhere``: a condition on key columns that ``where`` also holds, tested first in
    each part (`PLATE_LOOKUP`).
    """
    params["lim"] = filters.limit
    params["off"] = filters.offset
    pre = f"PREWHERE {prewhere} " if prewhere else ""
    source = f"SELECT {select} FROM {{db}}.reads {pre}WHERE {where}"
    if scope.caps():
        source = scope.capped(
            f"{source} ORDER BY {order} LIMIT 1 BY {READ_IDENTITY}", order, params
        )
        rows = store.query(
            f"SELECT * FROM ({source}) ORDER BY {order} LIMIT {{lim:UInt32}} "
            f"OFFSET {{off:UInt32}}{settings}",
            params,
        )
        return rows, count_capped(store, source, params, filters, rows.num_rows)
    # The total rides along as a window over every match (before the duplicate collapse
    # and the page): one query instead of a page and a count, ~3 ms less at 10 M reads.
    rows = store.query(
        f"SELECT {select}, uniqExact({READ_IDENTITY}) OVER () AS {TOTAL} FROM {{db}}.reads "
        f"{pre}WHERE {where} ORDER BY {order} LIMIT 1 BY {READ_IDENTITY} "
        f"LIMIT {{lim:UInt32}} OFFSET {{off:UInt32}}{settings}",
        params,
    )
    if rows.num_rows:
        return rows.drop_columns([TOTAL]), int(rows.column(TOTAL)[0].as_py())
    return rows.drop_columns([TOTAL]), count_if_needed(store, where, params, filters, 0,
                                                       prewhere=prewhere)


def count_if_needed(
    store: ReadStore, where: str, params: Mapping[str, object], filters: Filters, rows: int,
    *, prewhere: str = "",
) -> int:
    """The total number of matching reads; a short first page is its own total.

    Counting is a second query, so it is only run when the page is full or not the first.
    """
    if filters.offset == 0 and rows < filters.limit:
        return rows
    pre = f"PREWHERE {prewhere} " if prewhere else ""
    table = store.query(
        f"SELECT uniqExact({READ_IDENTITY}) AS n FROM {{db}}.reads {pre}WHERE {where}", params
    )
    return int(table.column("n")[0].as_py())


def count_capped(
    store: ReadStore, source: str, params: Mapping[str, object], filters: Filters, rows: int
) -> int:
    """The total of a capped search: the rows ``source`` (already capped per owner) yields."""
    if filters.offset == 0 and rows < filters.limit:
        return rows
    table = store.query(f"SELECT count() AS n FROM ({source})", params)
    return int(table.column("n")[0].as_py())
