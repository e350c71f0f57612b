"""Timeline: every read of one plate in a window, in time order, and its path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from plateledger.plates import normalize_plate
from plateledger.search.filters import Filters
from plateledger.search.reads import fetch_page
from plateledger.search.result import ReadOut, SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.arrow import rows_to_reads
from plateledger.store.schema import READ_IDENTITY

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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _clean(value: float | None) -> float | None:
    return None if value is None or value != value else round(value, 6)


def _stops(path: pa.Table) -> list[PathStop]:
    """Runs of consecutive reads at one camera (``path`` in time order). Times are read as
    integer milliseconds and made datetimes only for the stops' ends (a busy plate's path
    has thousands of reads)."""
    cameras = path.column("camera_id").to_pylist()
    lats, lons = path.column("lat").to_pylist(), path.column("lon").to_pylist()
    millis = path.column("ts").cast(pa.int64()).to_pylist()
    stops: list[PathStop] = []
    n, i = len(cameras), 0
    while i < n:
        j, camera = i, cameras[i]
        while j + 1 < n and cameras[j + 1] == camera:
            j += 1
        first = EPOCH + timedelta(milliseconds=millis[i])
        last = first if j == i else EPOCH + timedelta(milliseconds=millis[j])
        stops.append(PathStop(camera, _clean(lats[i]), _clean(lons[i]), first, last, j - i + 1))
        i = j + 1
    return stops


def search_timeline(store: ReadStore, plate: str, scope: Scope, filters: Filters) -> Timeline:
    """Every read of ``plate`` in scope and window, oldest first, with the camera path.

    Both come from the plate's range of the sort key ``(plate, ts, …)``. One query reads
    the path's few columns of every read (retried copies collapsed): its length is the
    total, and its rows name the page's reads, which a second query fetches whole from the
    page's time range only. Where an owner's reads are capped per search, the page and
    total come from `fetch_page`, which applies the caps.
    """
    target = normalize_plate(plate)
    empty = SearchPage(kind="timeline", total=0, limit=filters.limit, offset=filters.offset,
                       results=[])
    if not target or scope.is_empty():
        return Timeline(page=empty, path=[])
    params: dict[str, object] = {"t_plate": target}
    where = f"plate = {{t_plate:String}} AND {scope.sql(params)} AND {filters.sql(params)}"
    params["path_cap"] = MAX_PATH_READS + 1
    path = store.query(
        f"SELECT camera_id, lat, lon, ts, read_id, owner_id FROM {{db}}.reads WHERE {where} "
        f"ORDER BY ts, read_id, owner_id LIMIT 1 BY {READ_IDENTITY} LIMIT {{path_cap:UInt32}}",
        params,
    )
    capped = path.num_rows > MAX_PATH_READS
    if capped:
        path = path.slice(0, MAX_PATH_READS)
    stops = _stops(path)
    if scope.caps() or capped:
        rows, total = fetch_page(store, scope, filters, where, params,
                                 order="ts, read_id, owner_id")
    else:
        total = path.num_rows
        rows = _page_rows(store, path, where, params, filters)
    reads = rows_to_reads(rows) if rows.num_rows else []
    page = SearchPage(
        kind="timeline", total=total, limit=filters.limit, offset=filters.offset,
        results=[ReadOut.from_read(r, images=scope.images_allowed(r.owner_id)) for r in reads],
    )
    return Timeline(page=page, path=stops)


def _page_rows(store: ReadStore, path: pa.Table, where: str, params: dict[str, object],
               filters: Filters) -> pa.Table:
    """The whole rows of the page ``path`` (every read, in page order) names: fetched from
    the page's first to last time, then kept only if the path listed them there."""
    wanted = path.slice(filters.offset, filters.limit)
    if not wanted.num_rows:
        return store.query("SELECT * FROM {db}.reads WHERE 0")
    times = wanted.column("ts").to_pylist()
    params["page_from"] = times[0]
    params["page_to"] = times[-1]
    rows = store.query(
        f"SELECT * FROM {{db}}.reads WHERE {where} "
        f"AND ts BETWEEN {{page_from:DateTime64(3, 'UTC')}} AND {{page_to:DateTime64(3, 'UTC')}} "
        f"ORDER BY ts, read_id, owner_id LIMIT 1 BY {READ_IDENTITY}",
        params,
    )
    keep = set(zip(wanted.column("read_id").to_pylist(), wanted.column("owner_id").to_pylist(),
                   times, strict=True))
    mask = [k in keep for k in zip(rows.column("read_id").to_pylist(),
                                   rows.column("owner_id").to_pylist(),
                                   rows.column("ts").to_pylist(), strict=True)]
    return rows.filter(pa.array(mask, pa.bool_()))
