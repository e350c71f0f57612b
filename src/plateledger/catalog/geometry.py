"""Where a point lies: inside a circle (centre and radius in metres) or a polygon.

Pure functions over WGS 84 latitudes and longitudes in degrees, used by collection zones
(`plateledger.catalog.zones`). A circle measures great-circle distance (haversine, mean
Earth radius); a polygon is tested by ray casting on latitude and longitude taken as
plane coordinates, which is exact enough for zones the size of a city block or a campus
(and polygons do not cross the antimeridian).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
"""The mean Earth radius (IUGG), in metres."""

LatLon = tuple[float, float]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def in_circle(lat: float, lon: float, centre: LatLon, radius_m: float) -> bool:
    """Whether (``lat``, ``lon``) lies within ``radius_m`` metres of ``centre`` (the
    boundary counts as inside)."""
    return distance_m(lat, lon, centre[0], centre[1]) <= radius_m


def in_polygon(lat: float, lon: float, polygon: Sequence[LatLon]) -> bool:
    """Whether (``lat``, ``lon``) lies inside ``polygon`` (its vertices as (lat, lon), in
    order, the ring closed implicitly), by ray casting. A point exactly on an edge may fall
    either way."""
    inside = False
    count = len(polygon)
    j = count - 1
    for i in range(count):
        lat_i, lon_i = polygon[i]
        lat_j, lon_j = polygon[j]
        if (lat_i > lat) != (lat_j > lat):
            crossing = lon_i + (lat - lat_i) * (lon_j - lon_i) / (lat_j - lat_i)
            if lon < crossing:
                inside = not inside
        j = i
    return inside


@dataclass(frozen=True)
class Area:
    """A circle (``centre``, ``radius_m``) or a polygon (``polygon``), with its bounding
    box for a cheap first test."""

    centre: LatLon | None = None
    radius_m: float | None = None
    polygon: tuple[LatLon, ...] | None = None

    def __post_init__(self) -> None:
        circle = self.centre is not None and self.radius_m is not None
        if (self.centre is None) != (self.radius_m is None):
            raise ValueError("an area's circle needs both its centre and its radius")
        if circle and self.polygon is not None:
            raise ValueError("an area is a circle (centre and radius) or a polygon, not both")
        if not circle and self.polygon is None:
            raise ValueError("an area needs a shape: a circle (centre and radius) or a polygon")
        if self.radius_m is not None and self.radius_m <= 0:
            raise ValueError(f"radius `{self.radius_m}` m must be above 0")
        if self.polygon is not None and len(self.polygon) < 3:
            raise ValueError("a polygon needs at least three points")

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east), in degrees, containing the whole area."""
        if self.polygon is not None:
            lats = [p[0] for p in self.polygon]
            lons = [p[1] for p in self.polygon]
            return min(lats), min(lons), max(lats), max(lons)
        assert self.centre is not None and self.radius_m is not None
        dlat = math.degrees(self.radius_m / EARTH_RADIUS_M) * 1.001
        cos = max(math.cos(math.radians(self.centre[0])), 1e-6)
        dlon = min(180.0, dlat / cos)
        return (self.centre[0] - dlat, self.centre[1] - dlon,
                self.centre[0] + dlat, self.centre[1] + dlon)

    def contains(self, lat: float, lon: float) -> bool:
        if self.polygon is not None:
            return in_polygon(lat, lon, self.polygon)
        assert self.centre is not None and self.radius_m is not None
        return in_circle(lat, lon, self.centre, self.radius_m)
