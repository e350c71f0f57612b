"""Timeline: every read of one plate in a window, in time order, and its path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


def _stops(cameras: list[str], lats: list[float | None], lons: list[float | None],
           times: list[datetime]) -> list[PathStop]:
    stops: list[PathStop] = []
    for camera, lat, lon, ts in zip(cameras, lats, lons, times, strict=True):
        last = stops[-1] if stops else None
        if last is not None and last.camera_id == camera:
            stops[-1] = PathStop(camera, last.lat, last.lon, last.first_seen, ts, last.reads + 1)
        else:
            clean_lat = None if lat is None or lat != lat else round(lat, 6)
            clean_lon = None if lon is None or lon != lon else round(lon, 6)
            stops.append(PathStop(camera, clean_lat, clean_lon, ts, ts, 1))
    return stops


def search_timeline(store: ReadStore, plate: str, scope: Scope, filters: Filters) -> Timeline:
    """Every read of ``plate`` in scope and window, oldest first, with the camera path."""
    target = normalize_plate(plate)
    empty = SearchPage(kind="timeline", total=0, limit=filters.limit, offset=filters.offset,
                       results=[])
    if not target or scope.is_empty():
        return Timeline(page=empty, path=[])
    params: dict[str, object] = {"t_plate": target}
    where = f"plate = {{t_plate:String}} AND {scope.sql(params)} AND {filters.sql(params)}"
    rows, total = fetch_page(store, scope, filters, where, params,
                             order="ts, read_id, owner_id")
    reads = rows_to_reads(rows) if rows.num_rows else []
    page = SearchPage(
        kind="timeline", total=total, limit=filters.limit, offset=filters.offset,
        results=[ReadOut.from_read(r, images=scope.images_allowed(r.owner_id)) for r in reads],
    )
    params["path_cap"] = MAX_PATH_READS
    path = store.query(
        f"SELECT camera_id, lat, lon, ts FROM {{db}}.reads WHERE {where} "
        f"ORDER BY ts, read_id, owner_id LIMIT 1 BY {READ_IDENTITY} LIMIT {{path_cap:UInt32}}",
        params,
    )
    stops = _stops(path.column("camera_id").to_pylist(), path.column("lat").to_pylist(),
                   path.column("lon").to_pylist(), path.column("ts").to_pylist())
    return Timeline(page=page, path=stops)
