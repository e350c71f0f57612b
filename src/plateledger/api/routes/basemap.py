"""GET /v1/basemap: the offline basemap of the map workspace, as GeoJSON.

Drawn from what the system knows, never from tiles fetched elsewhere: the signed-in
user's own agency's cameras with a position, and that agency's area as the convex hull of
them. Only the user's own agency is drawn, so the map reveals nothing about the cameras of
an agency the user may not search.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from plateledger.api.deps import CatalogDep, CurrentUser

__all__ = ["convex_hull", "router"]

router = APIRouter(prefix="/v1", tags=["search"])

Point = tuple[float, float]


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
def basemap(user: CurrentUser, catalog: CatalogDep) -> dict[str, Any]:
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
        features.append({
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {"kind": "camera", "camera_id": c.camera_id, "name": c.name,
                           "camera_kind": c.kind},
        })
    return {"type": "FeatureCollection", "features": features}
