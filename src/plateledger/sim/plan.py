"""`CityPlan`: everything that defines a synthetic city, as pure data (no I/O, no state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from plateledger.sim.agencies import DEFAULT_AGENCIES, SimAgency
from plateledger.sim.cameras import (
    PatrolLoop,
    SimCamera,
    elsewhere_cameras,
    fixed_cameras,
    patrol_cars,
)
from plateledger.sim.roads import RoadGrid


@dataclass(frozen=True)
class OcrRates:
    """How often the camera gets a plate wrong (shares of reads).

    ``confusable``: one character swapped for its look-alike (O/0, I/1, B/8, S/5, Z/2, G/6,
    D/0, Q/0, T/1) — the dominant ALPR error; ``other``: a character dropped or an extra
    one read (plate frames, bolts, dirt); ``region_blank`` / ``region_wrong``: the state
    left empty or misread.
    """

    confusable: float = 0.05
    other: float = 0.01
    region_blank: float = 0.03
    region_wrong: float = 0.01


@dataclass(frozen=True)
class CityPlan:
    """The city: agencies, road grid, cameras, patrol loops and population knobs.

    Preconditions: every camera's ``owner_id`` is one of the agencies; every patrol loop
    names a mobile camera; shares lie in [0, 1] and ``mobile_share + elsewhere_share < 1``.
    """

    agencies: tuple[SimAgency, ...]
    grid: RoadGrid
    cameras: tuple[SimCamera, ...]
    patrols: tuple[PatrolLoop, ...]
    vehicles: int = 20_000
    population_seed: int = 2018
    out_of_state_share: float = 0.06
    convoy_share: float = 0.01
    mobile_share: float = 0.2
    elsewhere_share: float = 0.01
    vehicles_of_interest: int = 5
    ocr: OcrRates = field(default_factory=OcrRates)

    def __post_init__(self) -> None:
        ids = {a.id for a in self.agencies}
        for camera in self.cameras:
            if camera.owner_id not in ids:
                raise ValueError(f"camera `{camera.camera_id}` has no known owner")
        mobile = {c.camera_id for c in self.cameras if c.kind == "mobile"}
        for loop in self.patrols:
            if loop.camera_id not in mobile:
                raise ValueError(f"patrol loop `{loop.camera_id}` names no mobile camera")
        if not 0.0 <= self.mobile_share + self.elsewhere_share < 1.0:
            raise ValueError("mobile and elsewhere shares must leave room for fixed cameras")
        if self.vehicles < 100:
            raise ValueError("a city needs at least 100 vehicles")

    def agency(self, agency_id: int) -> SimAgency:
        for agency in self.agencies:
            if agency.id == agency_id:
                return agency
        raise KeyError(agency_id)

    @property
    def camera_owner_ids(self) -> frozenset[int]:
        """Agencies that own at least one camera (and so own reads)."""
        return frozenset(c.owner_id for c in self.cameras)


def default_plan(*, vehicles: int = 20_000, population_seed: int = 2018) -> CityPlan:
    """Union City, CA with its neighbours, the county, CHP, Reno PD and ICE ERO."""
    grid = RoadGrid()
    cars, loops = patrol_cars(grid)
    cameras = (*fixed_cameras(grid), *cars, *elsewhere_cameras())
    return CityPlan(
        agencies=DEFAULT_AGENCIES,
        grid=grid,
        cameras=cameras,
        patrols=tuple(loops),
        vehicles=vehicles,
        population_seed=population_seed,
    )
