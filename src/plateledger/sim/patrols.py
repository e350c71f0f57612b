"""Patrol cars: where each one is at a given moment, and who is on shift."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plateledger.sim.cameras import PatrolLoop
from plateledger.sim.roads import RoadGrid

DAY_SHIFT_HOURS = (6, 18)
"""Local hours [start, end) of the day shift; the night shift covers the rest."""


@dataclass(frozen=True)
class PatrolFleet:
    """Loops as arrays, one entry per car; ``camera`` indexes the plan's cameras."""

    camera: NDArray[np.int64]
    x0: NDArray[np.float64]
    y0: NDArray[np.float64]
    x1: NDArray[np.float64]
    y1: NDArray[np.float64]
    blocks_per_second: NDArray[np.float64]
    night: NDArray[np.bool_]

    @classmethod
    def of(cls, loops: tuple[PatrolLoop, ...], camera_index: dict[str, int],
           grid: RoadGrid) -> PatrolFleet:
        return cls(
            camera=np.array([camera_index[p.camera_id] for p in loops], dtype=np.int64),
            x0=np.array([p.x0 for p in loops], dtype=np.float64),
            y0=np.array([p.y0 for p in loops], dtype=np.float64),
            x1=np.array([p.x1 for p in loops], dtype=np.float64),
            y1=np.array([p.y1 for p in loops], dtype=np.float64),
            blocks_per_second=np.array([p.kmh / 3.6 / grid.spacing_m for p in loops]),
            night=np.array([p.night_shift for p in loops], dtype=np.bool_),
        )

    def __len__(self) -> int:
        return len(self.camera)

    def on_shift(self, local_hour: NDArray[np.int64], u: NDArray[np.float64]) -> NDArray[np.int64]:
        """A car (fleet position) on shift at each local hour, chosen by ``u`` in [0, 1)."""
        day_cars = np.flatnonzero(~self.night)
        night_cars = np.flatnonzero(self.night)
        if len(night_cars) == 0:
            night_cars = day_cars
        if len(day_cars) == 0:
            day_cars = night_cars
        day = (local_hour >= DAY_SHIFT_HOURS[0]) & (local_hour < DAY_SHIFT_HOURS[1])
        return np.where(day, day_cars[(u * len(day_cars)).astype(np.int64)],
                        night_cars[(u * len(night_cars)).astype(np.int64)])

    def position(self, car: NDArray[np.int64], ts_ms: NDArray[np.int64]
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int16]]:
        """Grid position and heading of ``car`` at ``ts_ms``: east, north, west, south."""
        x0, y0, x1, y1 = self.x0[car], self.y0[car], self.x1[car], self.y1[car]
        w, h = x1 - x0, y1 - y0
        # Cars start at different points of their loop (phase from the car's number).
        s = np.mod(ts_ms / 1000.0 * self.blocks_per_second[car] + car * 1.37, 2 * (w + h))
        side = np.select([s < w, s < w + h, s < 2 * w + h], [0, 1, 2], 3)
        x = np.select([side == 0, side == 1, side == 2], [x0 + s, x1, x1 - (s - w - h)], x0)
        y = np.select([side == 0, side == 1, side == 2], [y0, y0 + (s - w), y1],
                      y1 - (s - 2 * w - h))
        heading = np.array([90, 0, 270, 180], dtype=np.int16)[side]
        return x, y, heading
