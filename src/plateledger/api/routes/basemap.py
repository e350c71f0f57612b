"""GET /v1/basemap: the offline basemap of the map workspace, as GeoJSON.

Drawn from what the system knows, never from tiles fetched elsewhere: the signed-in
user's own agency's cameras with a position, the stretch of road each camera with a
heading watches (``ROAD_METRES`` either side of it, along its heading), and that agency's
area as the convex hull of the cameras. Only the user's own agency is drawn, so the map
reveals nothing about the cameras of an agency the user may not search.

Where the operator set ``pmtiles_path`` (``PLATELEDGER_PMTILES_PATH``), the collection also
names ``GET /v1/basemap/tiles.pmtiles``: that file, served in the byte ranges the map's
PMTiles reader asks for, to signed-in users. It is map data (roads, places), not reads.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from plateledger.api.deps import CatalogDep, CurrentUser, SettingsDep

__all__ = ["convex_hull", "router"]

router = APIRouter(prefix="/v1", tags=["search"])

TILES_URL = "/v1/basemap/tiles.pmtiles"

Point = tuple[float, float]
ROAD_METRES = 150.0
METRES_PER_DEGREE = 111_320.0


def road_through(lon: float, lat: float, heading: float) -> list[list[float]]:
    """The road a camera at (lon, lat) facing ``heading`` (degrees from north) watches: a
    line ``ROAD_METRES`` either side of it along that heading, as [[lon, lat], ...]."""
    north = math.cos(math.radians(heading)) * ROAD_METRES / METRES_PER_DEGREE
    east = (math.sin(math.radians(heading)) * ROAD_METRES
            / (METRES_PER_DEGREE * math.cos(math.radians(lat))))
    return [[round(lon - east, 7), round(lat - north, 7)],
            [round(lon + east, 7), round(lat + north, 7)]]


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: list[Point]) -> list[Point]:
    """The hull of (lon, lat) points, counter-clockwise, by Andrew's monotone chain."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts
    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


@router.get("/basemap", summary="The offline basemap: your agency's cameras and area (GeoJSON)")
def basemap(user: CurrentUser, catalog: CatalogDep, settings: SettingsDep) -> dict[str, Any]:
    cameras = [c for c in catalog.cameras(owner_id=user.agency_id)
               if c.lat is not None and c.lon is not None]
    features: list[dict[str, Any]] = []
    hull = convex_hull([(float(c.lon), float(c.lat)) for c in cameras  # type: ignore[arg-type]
                        ])
    if len(hull) >= 3:
        ring = [[lon, lat] for lon, lat in hull]
        features.append({
            "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
            "properties": {"kind": "agency_area", "agency_id": user.agency_id},
        })
    for c in cameras:
        if c.heading is not None:
            features.append({
                "type": "Feature",
                "geometry": {"type": "LineString",
                             "coordinates": road_through(float(c.lon), float(c.lat),  # type: ignore[arg-type]
                                                         float(c.heading))},
                "properties": {"kind": "road", "camera_id": c.camera_id},
            })
    for c in cameras:
        features.append({
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {"kind": "camera", "camera_id": c.camera_id, "name": c.name,
                           "camera_kind": c.kind},
        })
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if settings.pmtiles_path is not None and settings.pmtiles_path.is_file():
        collection["pmtiles"] = TILES_URL
    return collection


@router.get(
    "/basemap/tiles.pmtiles", response_class=FileResponse,
    summary="The operator's PMTiles basemap file, in byte ranges (map data, not reads)",
    responses={200: {"content": {"application/vnd.pmtiles": {}}},
               206: {"description": "the byte range asked for"},
               404: {"description": "no PMTiles file is set on this server"}},
)
def basemap_tiles(user: CurrentUser, settings: SettingsDep) -> FileResponse:
    path = settings.pmtiles_path
    if path is None or not path.is_file():
        raise HTTPException(404, "no PMTiles basemap is set on this server "
                                 "(PLATELEDGER_PMTILES_PATH)")
    return FileResponse(path, media_type="application/vnd.pmtiles",
                        headers={"Cache-Control": "private, max-age=3600"})
