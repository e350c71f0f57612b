"""Area searches ("stakeout"): every read at some cameras or a place in a time window."""

from __future__ import annotations

from datetime import timedelta

from plateledger.plates import normalize_plate
from plateledger.search.filters import Filters
from plateledger.search.keyed import SHOWN_SQL, read_outs
from plateledger.search.reads import fetch_page
from plateledger.search.result import SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.schema import TIE

MAX_WINDOW = timedelta(days=31)


class AreaError(ValueError):
    """An area search without the bounds that keep it from reading everything."""


def search_area(
    store: ReadStore, scope: Scope, filters: Filters, plate: str | None = None
) -> SearchPage:
    """Reads in a time window at given cameras, or inside a box or radius (of one plate,
    when ``plate`` is given).

    Camera windows are answered from the ``(camera_id, ts)`` projection, which holds the
    columns a result shows (`SHOWN_SQL`, all this search asks for): fetching a page's rows
    by plate instead cost ~100 point lookups (~120 ms at 10 M reads) against ~8 ms from
    the projection.
    """
    if filters.since is None or filters.until is None:
        raise AreaError("an area search needs both `since` and `until`")
    if filters.until - filters.since > MAX_WINDOW:
        raise AreaError("an area search window may be at most 31 days")
    if not (filters.cameras or filters.bbox or filters.radius):
        raise AreaError("an area search needs cameras, a bounding box or a radius")
    empty = SearchPage(
        kind="area", total=0, limit=filters.limit, offset=filters.offset, results=[]
    )
    if scope.is_empty():
        return empty
    params: dict[str, object] = {}
    where = f"{scope.sql(params)} AND {filters.sql(params)}"
    if plate:
        params["area_plate"] = normalize_plate(plate)
        where += " AND plate = {area_plate:String}"
    rows, total = fetch_page(store, scope, filters, where, params, order=f"ts DESC, {TIE}",
                             select=SHOWN_SQL)
    return SearchPage(kind="area", total=total, limit=filters.limit, offset=filters.offset,
                      results=read_outs(rows, scope))
