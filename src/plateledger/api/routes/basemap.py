"""GET /v1/basemap: the offline basemap of the map workspace, as GeoJSON.

Drawn from what the catalog knows, never from tiles fetched elsewhere, and nothing it
does not know: the signed-in user's own agency's cameras with a position (with their name
and, where recorded, the direction each faces: a short ``HEADING_METRES`` stroke from the
camera, not a road), the area those cameras span (their convex hull: not a legal
boundary), the agency's collection zones that are in force (circles and polygons) and its
seat, where recorded. The catalog has no road geometry, so no road is drawn: ``drawn_from``
and ``no_roads`` say so, and the map shows it as its legend. Only the user's own agency is
drawn, so the map reveals nothing about the cameras of an agency the user may not search.

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

__all__ = ["convex_hull", "facing", "router"]

router = APIRouter(prefix="/v1", tags=["search"])

TILES_URL = "/v1/basemap/tiles.pmtiles"

Point = tuple[float, float]
HEADING_METRES = 60.0
METRES_PER_DEGREE = 111_320.0
DRAWN_FROM = (
    "the catalog: your agency's cameras (name, and the direction each faces where "
    "recorded), the area they span, its collection zones and its seat; no roads"
)
NO_ROADS = (
    "The catalog holds no road geometry: set a PMTiles file (PLATELEDGER_PMTILES_PATH) "
    "for a street map"
)


def facing(lon: float, lat: float, heading: float) -> list[list[float]]:
    """Which way a camera at (lon, lat) faces: a stroke ``HEADING_METRES`` long from it
    towards ``heading`` (degrees from north), as [[lon, lat], [lon, lat]]. A direction, not
    a road: the catalog knows where the camera points, not where the road runs."""
    north = math.cos(math.radians(heading)) * HEADING_METRES / METRES_PER_DEGREE
    east = (
        math.sin(math.radians(heading))
        * HEADING_METRES
        / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    )
    return [[round(lon, 7), round(lat, 7)], [round(lon + east, 7), round(lat + north, 7)]]


def _circle(lat: float, lon: float, metres: float, sides: int = 48) -> list[list[float]]:
    """A circle of ``metres`` around (lat, lon) as a closed GeoJSON ring."""
    ring = []
    for i in range(sides):
        angle = 2 * math.pi * i / sides
        north = math.cos(angle) * metres / METRES_PER_DEGREE
        east = math.sin(angle) * metres / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
        ring.append([round(lon + east, 7), round(lat + north, 7)])
    return [*ring, ring[0]]


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


def _zones(catalog: CatalogDep, agency_id: int) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = []
    for zone in catalog.zones(agency_id, active_only=True):
        lat, lon, metres = zone.centre_lat, zone.centre_lon, zone.radius_m
        if zone.polygon:
            ring = [[p_lon, p_lat] for p_lat, p_lon in zone.polygon]
            ring = ring if ring[0] == ring[-1] else [*ring, ring[0]]
        elif lat is not None and lon is not None and metres is not None:
            ring = _circle(lat, lon, metres)
        else:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "kind": "zone",
                    "zone_id": zone.id,
                    "name": zone.name,
                    "place": zone.place,
                },
            }
        )
    return features


@router.get(
    "/basemap",
    summary="The offline basemap: your agency's cameras, the directions "
    "they face, their area, zones and seat (GeoJSON; no roads)",
)
def basemap(user: CurrentUser, catalog: CatalogDep, settings: SettingsDep) -> dict[str, Any]:
    cameras = [
        (c, float(lon), float(lat))
        for c in catalog.cameras(owner_id=user.agency_id)
        for lon, lat in [(c.lon, c.lat)]
        if lon is not None and lat is not None
    ]
    features: list[dict[str, Any]] = []
    hull = convex_hull([(lon, lat) for _, lon, lat in cameras])
    if len(hull) >= 3:
        ring = [[lon, lat] for lon, lat in hull]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
                "properties": {"kind": "agency_area", "agency_id": user.agency_id},
            }
        )
    features.extend(_zones(catalog, user.agency_id))
    for c, lon, lat in cameras:
        if c.heading is not None:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": facing(lon, lat, float(c.heading)),
                    },
                    "properties": {
                        "kind": "heading",
                        "camera_id": c.camera_id,
                        "heading": c.heading,
                    },
                }
            )
    for c, lon, lat in cameras:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "kind": "camera",
                    "camera_id": c.camera_id,
                    "name": c.name,
                    "camera_kind": c.kind,
                    "heading": c.heading,
                },
            }
        )
    agency = catalog.agency(user.agency_id)
    if agency is not None and agency.lat is not None and agency.lon is not None:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [agency.lon, agency.lat]},
                "properties": {"kind": "seat", "agency_id": agency.id, "name": agency.name},
            }
        )
    collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": features,
        "drawn_from": DRAWN_FROM,
        "no_roads": NO_ROADS,
    }
    if settings.pmtiles_path is not None and settings.pmtiles_path.is_file():
        collection["pmtiles"] = TILES_URL
    return collection


@router.get(
    "/basemap/tiles.pmtiles",
    response_class=FileResponse,
    summary="The operator's PMTiles basemap file, in byte ranges (map data, not reads)",
    responses={
        200: {"content": {"application/vnd.pmtiles": {}}},
        206: {"description": "the byte range asked for"},
        404: {"description": "no PMTiles file is set on this server"},
    },
)
def basemap_tiles(user: CurrentUser, settings: SettingsDep) -> FileResponse:
    path = settings.pmtiles_path
    if path is None or not path.is_file():
        raise HTTPException(
            404, "no PMTiles basemap is set on this server (PLATELEDGER_PMTILES_PATH)"
        )
    return FileResponse(
        path,
        media_type="application/vnd.pmtiles",
        headers={"Cache-Control": "private, max-age=3600"},
    )
