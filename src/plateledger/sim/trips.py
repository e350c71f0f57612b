"""Routes through the road grid and the fixed cameras each one passes.

A trip from ``(ox, oy)`` to ``(dx, dy)`` drives up or down its street to the nearest
arterial, along that arterial to the arterial nearest the destination, along that one to
the destination's row, then down the street to the door — four legs, the way people
drive a grid. Every vehicle has `ROUTES_PER_VEHICLE` such routes, so it passes the same
cameras day after day (what locate and timeline searches rely on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plateledger.sim.roads import RoadGrid
from plateledger.sim.vehicles import Population

ROUTES_PER_VEHICLE = 6
COMMUTE_OUT, COMMUTE_BACK, ERRAND_A_OUT, ERRAND_A_BACK, ERRAND_B_OUT, ERRAND_B_BACK = range(6)

_CHUNK = 16_384


@dataclass(frozen=True)
class RouteTable:
    """The camera passes of every route, concatenated in order of travel.

    Route ``r`` (= vehicle * `ROUTES_PER_VEHICLE` + kind) passes cameras
    ``camera[start[r]:start[r + 1]]`` at ``offset_s`` seconds after departure.
    ``camera`` indexes the camera array the table was built with.
    """

    start: NDArray[np.int64]
    camera: NDArray[np.int32]
    offset_s: NDArray[np.float32]

    def length(self, route: NDArray[np.int64]) -> NDArray[np.int64]:
        return self.start[route + 1] - self.start[route]

    def passes(self, route: int) -> list[tuple[int, float]]:
        """(camera index, seconds after departure) of one route."""
        lo, hi = int(self.start[route]), int(self.start[route + 1])
        return [(int(c), float(t)) for c, t in
                zip(self.camera[lo:hi], self.offset_s[lo:hi], strict=True)]


def _between(value: NDArray[np.int64], a: NDArray[np.int64],
             b: NDArray[np.int64]) -> NDArray[np.bool_]:
    lo = np.minimum(a, b)[:, None]
    hi = np.maximum(a, b)[:, None]
    return (value[None, :] >= lo) & (value[None, :] <= hi)


def _legs_hits(grid: RoadGrid, origin: NDArray[np.int64], dest: NDArray[np.int64],
               cam_x: NDArray[np.int64], cam_y: NDArray[np.int64]
               ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """(route row, camera, seconds) of every camera pass of a chunk of routes."""
    ox, oy, dx, dy = origin[:, 0], origin[:, 1], dest[:, 0], dest[:, 1]
    ya = grid.nearest_arterial(oy)
    xa = grid.nearest_arterial(dx)
    street = grid.seconds_per_block(False)
    arterial = grid.seconds_per_block(True)
    t2 = np.abs(ya - oy) * street
    t3 = t2 + np.abs(xa - ox) * arterial
    t4 = t3 + np.abs(dy - ya) * arterial
    cx, cy = cam_x[None, :], cam_y[None, :]
    # Each leg: (cameras on it, seconds after departure at each). Legs after the first
    # leave out their first node, which the previous leg already passed.
    legs = (
        ((cx == ox[:, None]) & _between(cam_y, oy, ya),
         np.abs(cy - oy[:, None]) * street),
        ((cy == ya[:, None]) & _between(cam_x, ox, xa) & (cx != ox[:, None]),
         t2[:, None] + np.abs(cx - ox[:, None]) * arterial),
        ((cx == xa[:, None]) & _between(cam_y, ya, dy) & (cy != ya[:, None]),
         t3[:, None] + np.abs(cy - ya[:, None]) * arterial),
        ((cy == dy[:, None]) & _between(cam_x, xa, dx) & (cx != xa[:, None]),
         t4[:, None] + np.abs(cx - xa[:, None]) * street),
    )
    rows, cams, secs = [], [], []
    for on, seconds in legs:
        r, c = np.nonzero(on)
        rows.append(r)
        cams.append(c)
        secs.append(seconds[r, c])
    return np.concatenate(rows), np.concatenate(cams), np.concatenate(secs)


def build_routes(grid: RoadGrid, population: Population, cam_x: NDArray[np.int64],
                 cam_y: NDArray[np.int64]) -> RouteTable:
    """Every vehicle's routes past cameras at grid nodes ``(cam_x, cam_y)``."""
    ends = (
        (population.home, population.work), (population.work, population.home),
        (population.home, population.errand_a), (population.errand_a, population.home),
        (population.home, population.errand_b), (population.errand_b, population.home),
    )
    origin = np.stack([e[0] for e in ends], axis=1).reshape(-1, 2)
    dest = np.stack([e[1] for e in ends], axis=1).reshape(-1, 2)
    n_routes = len(origin)
    all_rows, all_cams, all_secs = [], [], []
    for lo in range(0, n_routes, _CHUNK):
        hi = min(n_routes, lo + _CHUNK)
        rows, cams, secs = _legs_hits(grid, origin[lo:hi], dest[lo:hi], cam_x, cam_y)
        all_rows.append(rows + lo)
        all_cams.append(cams)
        all_secs.append(secs)
    rows = np.concatenate(all_rows)
    cams = np.concatenate(all_cams)
    secs = np.concatenate(all_secs)
    order = np.lexsort((secs, rows))
    counts = np.bincount(rows, minlength=n_routes)
    start = np.zeros(n_routes + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    return RouteTable(start=start, camera=cams[order].astype(np.int32),
                      offset_s=secs[order].astype(np.float32))
