"""The road graph: a grid of streets with an arterial every few blocks.

Nodes are intersections ``(x, y)`` with ``0 <= x, y < size``; x grows east, y north.
Every ``arterial_every``-th row and column is an arterial (faster, and where most fixed
cameras stand); column 0 stands in for the freeway (I-880) along the city's west edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class RoadGrid:
    """A grid-ish street network centred on ``(centre_lat, centre_lon)``."""

    centre_lat: float = 37.5934
    centre_lon: float = -122.0439
    size: int = 25
    spacing_m: float = 200.0
    arterial_every: int = 4
    street_kmh: float = 35.0
    arterial_kmh: float = 55.0

    @property
    def arterials(self) -> NDArray[np.int64]:
        """Indices of arterial rows (and columns: the grid is symmetric)."""
        return np.arange(0, self.size, self.arterial_every, dtype=np.int64)

    def nearest_arterial(self, index: NDArray[np.int64]) -> NDArray[np.int64]:
        """The arterial row or column nearest to each of ``index``."""
        arterials = self.arterials
        nearest = np.abs(index[:, None] - arterials[None, :]).argmin(axis=1)
        return np.asarray(arterials[nearest], dtype=np.int64)

    def lat_lon(
        self, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Positions of grid coordinates (fractions allowed, for points between nodes).

        The grid is slightly warped so that streets do not run on perfect meridians.
        """
        half = (self.size - 1) / 2.0
        east_m = (x - half) * self.spacing_m + 18.0 * np.sin(y * 0.9)
        north_m = (y - half) * self.spacing_m + 14.0 * np.sin(x * 0.7)
        lat = self.centre_lat + north_m / METRES_PER_DEGREE_LAT
        metres_per_degree_lon = METRES_PER_DEGREE_LAT * math.cos(math.radians(self.centre_lat))
        lon = self.centre_lon + east_m / metres_per_degree_lon
        return lat, lon

    def seconds_per_block(self, arterial: bool) -> float:
        """Travel time between neighbouring intersections."""
        kmh = self.arterial_kmh if arterial else self.street_kmh
        return self.spacing_m / (kmh / 3.6)
