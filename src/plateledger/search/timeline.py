"""Timeline: every read of one plate in a window, in time order, and its path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from plateledger.plates import normalize_plate
from plateledger.search.filters import Filters
from plateledger.search.keyed import SHOWN_SQL, read_outs
from plateledger.search.reads import fetch_page
from plateledger.search.result import SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.schema import READ_IDENTITY, TIE

MAX_PATH_READS = 100_000
"""The most reads a path is drawn from (a plate read more often than this in one window is
not a vehicle's path)."""


@dataclass(frozen=True)
class PathStop:
    """Consecutive reads of the plate at one camera, collapsed."""

    camera_id: str
    lat: float | None
    lon: float | None
    first_seen: datetime
    last_seen: datetime
    reads: int


@dataclass(frozen=True)
class Timeline:
    page: SearchPage
    path: list[PathStop]


def _clean(value: float | None) -> float | None:
    return None if value is None or value != value else round(value, 6)


def _stops(path: pa.Table) -> list[PathStop]:
    """Runs of consecutive reads at one camera (``path`` in time order). The runs' ends are
    found on the columns (a busy plate's path has thousands of reads); Python values are
    made for the stops' ends only."""
    n = path.num_rows
    if not n:
        return []
    cameras = path.column("camera_id").combine_chunks()
    if pa.types.is_dictionary(cameras.type):
        cameras = cameras.cast(pa.string())
    moved = pc.not_equal(cameras.slice(1), cameras.slice(0, n - 1))
    firsts = np.flatnonzero(np.concatenate(([True], moved.to_numpy(zero_copy_only=False))))
    lasts = np.append(firsts[1:] - 1, n - 1)
    at_first = path.select(["camera_id", "lat", "lon"]).take(pa.array(firsts))
    names = at_first.column("camera_id").to_pylist()
    lats, lons = at_first.column("lat").to_pylist(), at_first.column("lon").to_pylist()
    millis = path.column("ts").cast(pa.int64()).to_numpy()
    starts, ends = millis[firsts].tolist(), millis[lasts].tolist()
    counts = (lasts - firsts + 1).tolist()
    # A path's stops are mostly at fixed cameras: each distinct place is rounded once.
    places = {value: _clean(value) for value in {*lats, *lons}}
    stops: list[PathStop] = []
    for camera, lat, lon, first_ms, last_ms, count in zip(
        names, lats, lons, starts, ends, counts, strict=True
    ):
        # a float of milliseconds / 1000 is within 0.2 µs of the time: exact to the µs
        first = datetime.fromtimestamp(first_ms / 1000, UTC)
        last = first if count == 1 else datetime.fromtimestamp(last_ms / 1000, UTC)
        stops.append(PathStop(camera, places[lat], places[lon], first, last, count))
    return stops


ONE_QUERY_READS = 20_000
"""Up to this many reads in the window, a timeline is one query of whole rows (the path's
columns cost as much to read as the whole row at 10 M reads: a granule is decompressed
either way); beyond it, the path is read as its few columns by a second query."""


def search_timeline(store: ReadStore, plate: str, scope: Scope, filters: Filters) -> Timeline:
    """Every read of ``plate`` in scope and window, oldest first, with the camera path.

    Both come from the plate's range of the sort key ``(plate, ts, …)``. One query reads
    the whole rows of the first `ONE_QUERY_READS` reads in time order (retried copies
    collapsed): when that is every read, its length is the total, the path is drawn from
    it and the page is a slice of it. A plate read more often in the window has its path
    read as a few columns by a second query (up to `MAX_PATH_READS`). Where an owner's
    reads are capped per search, the page and total come from `fetch_page`, which applies
    the caps.
    """
    target = normalize_plate(plate)
    empty = SearchPage(
        kind="timeline", total=0, limit=filters.limit, offset=filters.offset, results=[]
    )
    if not target or scope.is_empty():
        return Timeline(page=empty, path=[])
    params: dict[str, object] = {"t_plate": target}
    where = f"plate = {{t_plate:String}} AND {scope.sql(params)} AND {filters.sql(params)}"
    order = f"ORDER BY ts, {TIE} LIMIT 1 BY {READ_IDENTITY}"
    params["first_cap"] = ONE_QUERY_READS + 1
    first = store.query(
        f"SELECT {SHOWN_SQL} FROM {{db}}.reads WHERE {where} {order} "
        "LIMIT {first_cap:UInt32}", params
    )
    path = first
    if first.num_rows > ONE_QUERY_READS:
        params["path_cap"] = MAX_PATH_READS + 1
        path = store.query(
            f"SELECT camera_id, lat, lon, ts, stored_id, owner_id FROM {{db}}.reads "
            f"WHERE {where} {order} LIMIT {{path_cap:UInt32}}",
            params,
        )
    # a capped owner's first reads in the page's order, as `fetch_page` caps the rows
    path = scope.within_caps(path)
    capped = path.num_rows > MAX_PATH_READS
    if capped:
        path = path.slice(0, MAX_PATH_READS)
    stops = _stops(path)
    if scope.caps() or capped:
        rows, total = fetch_page(
            store, scope, filters, where, params, order=f"ts, {TIE}", select=SHOWN_SQL
        )
    else:
        total = path.num_rows
        rows = _page_rows(store, first, path, where, params, filters)
    page = SearchPage(
        kind="timeline",
        total=total,
        limit=filters.limit,
        offset=filters.offset,
        results=read_outs(rows, scope),
    )
    return Timeline(page=page, path=stops)


def _page_rows(
    store: ReadStore,
    first: pa.Table,
    path: pa.Table,
    where: str,
    params: dict[str, object],
    filters: Filters,
) -> pa.Table:
    """The whole rows of the page: a slice of ``first`` (the first reads' whole rows) when
    the page lies inside it, else fetched from the page's first to last time and kept only
    if ``path`` (every read, in page order) lists them there."""
    if filters.offset + filters.limit <= ONE_QUERY_READS or first.num_rows <= ONE_QUERY_READS:
        return first.slice(filters.offset, filters.limit)
    wanted = path.slice(filters.offset, filters.limit)
    if not wanted.num_rows:
        return first.slice(0, 0)
    times = wanted.column("ts").to_pylist()
    params["page_from"] = times[0]
    params["page_to"] = times[-1]
    rows = store.query(
        f"SELECT {SHOWN_SQL} FROM {{db}}.reads WHERE {where} "
        f"AND ts BETWEEN {{page_from:DateTime64(3, 'UTC')}} AND {{page_to:DateTime64(3, 'UTC')}} "
        f"ORDER BY ts, {TIE} LIMIT 1 BY {READ_IDENTITY}",
        params,
    )
    def keys(table: pa.Table) -> list[tuple[object, ...]]:
        # a read's identity less its plate, which is the timeline's own
        return list(zip(*(table.column(c).to_pylist()
                          for c in ("stored_id", "camera_id", "owner_id", "ts")), strict=True))

    keep = set(keys(wanted))
    mask = [k in keep for k in keys(rows)]
    return rows.filter(pa.array(mask, pa.bool_()))
