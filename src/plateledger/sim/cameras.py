"""Cameras: fixed ones at intersections, and patrol cars that drive loops along streets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plateledger.sim.agencies import (
    ALAMEDA_SHERIFF,
    FREMONT_PD,
    HAYWARD_PD,
    HIGHWAY_PATROL,
    RENO_PD,
    UNION_CITY_PD,
    SimAgency,
)
from plateledger.sim.roads import RoadGrid

CAMERA_KINDS = frozenset({"fixed", "mobile"})

RENO_LAT, RENO_LON = 39.5296, -119.8138


@dataclass(frozen=True)
class SimCamera:
    """A camera and the agency that owns its reads.

    ``heading`` is the compass direction a fixed camera faces, in degrees, or -1 when
    unknown (mobile cameras: their reads carry the car's direction of travel instead).
    ``x``/``y`` are grid coordinates inside the city, or -1 for a camera elsewhere.
    """

    camera_id: str
    owner_id: int
    kind: str
    lat: float
    lon: float
    heading: int
    x: int = -1
    y: int = -1

    def __post_init__(self) -> None:
        if self.kind not in CAMERA_KINDS:
            raise ValueError(f"camera kind `{self.kind}` is not fixed or mobile")

    @property
    def in_city(self) -> bool:
        return self.x >= 0


@dataclass(frozen=True)
class PatrolLoop:
    """The rectangle of streets a patrol car drives, corners as grid coordinates.

    Precondition: ``x0 < x1`` and ``y0 < y1``; the car goes east, north, west, south.
    """

    camera_id: str
    x0: int
    y0: int
    x1: int
    y1: int
    kmh: float = 25.0
    night_shift: bool = False


def _territory_owner(y: int, grid: RoadGrid) -> SimAgency:
    """Hayward in the north, Fremont in the south, Union City (the centre) in between."""
    low, high = _bands(grid)[UNION_CITY_PD.id]
    if y >= high:
        return HAYWARD_PD
    if y < low:
        return FREMONT_PD
    return UNION_CITY_PD


def _bands(grid: RoadGrid) -> dict[int, tuple[int, int]]:
    """Rows ``[low, high)`` of each city's territory."""
    low, high = round(grid.size * 0.24), round(grid.size * 0.72)
    return {
        FREMONT_PD.id: (0, low),
        UNION_CITY_PD.id: (low, high),
        HAYWARD_PD.id: (high, grid.size),
    }


def fixed_cameras(grid: RoadGrid, seed: int = 7) -> list[SimCamera]:
    """Cameras at most arterial crossings and some arterial/street crossings.

    The freeway column (x = 0) belongs to CHP; a few cameras on the east edge (the
    unincorporated hills) belong to the county sheriff.
    """
    rng = np.random.default_rng(seed)
    arterials = [int(a) for a in grid.arterials]
    sites: list[tuple[int, int]] = []
    for x in arterials:
        for y in arterials:
            if rng.random() < 0.85:
                sites.append((x, y))
    taken = set(sites)
    target = len(sites) + 28
    while len(sites) < target:
        x, y = (int(v) for v in rng.integers(0, grid.size, size=2))
        if (x % grid.arterial_every == 0) != (y % grid.arterial_every == 0) and (x, y) not in taken:
            taken.add((x, y))
            sites.append((x, y))
    counters: dict[str, int] = {}
    cameras: list[SimCamera] = []
    east_edge = arterials[-1]
    for x, y in sorted(sites, key=lambda s: (s[1], s[0])):
        if x == 0:
            owner = HIGHWAY_PATROL
        elif x == east_edge and y % (2 * grid.arterial_every) == 0:
            owner = ALAMEDA_SHERIFF
        else:
            owner = _territory_owner(y, grid)
        counters[owner.slug] = counters.get(owner.slug, 0) + 1
        lat, lon = grid.lat_lon(np.array([float(x)]), np.array([float(y)]))
        heading = -1 if rng.random() < 0.1 else int(rng.choice([0, 90, 180, 270]))
        cameras.append(
            SimCamera(
                camera_id=f"{owner.slug}-fx-{counters[owner.slug]:03d}",
                owner_id=owner.id,
                kind="fixed",
                lat=round(float(lat[0]), 6),
                lon=round(float(lon[0]), 6),
                heading=heading,
                x=x,
                y=y,
            )
        )
    return cameras


def elsewhere_cameras(owner: SimAgency = RENO_PD, count: int = 4) -> list[SimCamera]:
    """A handful of cameras far from the city (Reno), so some reads have another origin."""
    return [
        SimCamera(
            camera_id=f"{owner.slug}-fx-{i + 1:03d}",
            owner_id=owner.id,
            kind="fixed",
            lat=round(RENO_LAT + 0.004 * i, 6),
            lon=round(RENO_LON - 0.003 * i, 6),
            heading=90 * (i % 4),
        )
        for i in range(count)
    ]


PATROL_FLEET: tuple[tuple[SimAgency, int], ...] = (
    (UNION_CITY_PD, 6),
    (FREMONT_PD, 4),
    (HAYWARD_PD, 4),
    (ALAMEDA_SHERIFF, 2),
    (HIGHWAY_PATROL, 2),
)
"""Patrol cars with plate readers per agency; half of each fleet works the night shift."""


def patrol_cars(grid: RoadGrid, seed: int = 11) -> tuple[list[SimCamera], list[PatrolLoop]]:
    """Patrol cars (mobile cameras) and the loops they drive inside their territory."""
    rng = np.random.default_rng(seed)
    bands = _bands(grid)
    cameras: list[SimCamera] = []
    loops: list[PatrolLoop] = []
    for agency, count in PATROL_FLEET:
        for i in range(count):
            camera_id = f"{agency.slug}-car-{i + 1:02d}"
            if agency.id == HIGHWAY_PATROL.id:
                x0, x1 = 0, grid.arterial_every
                y0, y1 = 0, grid.size - 1
            else:
                low, high = bands.get(agency.id, (0, grid.size))
                x0 = int(rng.integers(0, grid.size - 6))
                x1 = x0 + int(rng.integers(3, 6))
                y0 = int(rng.integers(low, max(low + 1, high - 4)))
                y1 = min(grid.size - 1, y0 + int(rng.integers(2, 5)))
            loops.append(PatrolLoop(camera_id, x0, y0, x1, y1, night_shift=i % 2 == 1))
            lat, lon = grid.lat_lon(np.array([float(x0)]), np.array([float(y0)]))
            cameras.append(
                SimCamera(
                    camera_id=camera_id,
                    owner_id=agency.id,
                    kind="mobile",
                    lat=round(float(lat[0]), 6),
                    lon=round(float(lon[0]), 6),
                    heading=-1,
                    x=x0,
                    y=y0,
                )
            )
    return cameras, loops
