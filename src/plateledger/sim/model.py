"""A `CityPlan` compiled into the arrays that read generation indexes into."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plateledger.sim.patrols import PatrolFleet
from plateledger.sim.plan import CityPlan
from plateledger.sim.trips import RouteTable, build_routes
from plateledger.sim.vehicles import STATES, Population, build_population


@dataclass(frozen=True)
class NodeIndex:
    """Vehicles grouped by grid node: ``vehicles[start[node]:start[node + 1]]``."""

    start: NDArray[np.int64]
    vehicles: NDArray[np.int64]

    @classmethod
    def of(cls, places: NDArray[np.int64], size: int) -> NodeIndex:
        node = places[:, 0] * size + places[:, 1]
        order = np.argsort(node, kind="stable")
        start = np.searchsorted(node[order], np.arange(size * size + 1))
        return cls(start=start.astype(np.int64), vehicles=order.astype(np.int64))


@dataclass(frozen=True)
class CityModel:
    """Everything generation needs, as arrays; camera arrays are indexed like ``plan.cameras``."""

    plan: CityPlan
    population: Population
    routes: RouteTable
    fleet: PatrolFleet
    camera_owner: NDArray[np.int64]
    camera_lat: NDArray[np.float32]
    camera_lon: NDArray[np.float32]
    camera_heading: NDArray[np.int16]
    camera_mobile: NDArray[np.bool_]
    elsewhere: NDArray[np.int64]
    homes: NodeIndex
    workplaces: NodeIndex
    cumulative_weight: NDArray[np.float64]
    group_size: NDArray[np.int64]
    group_start: NDArray[np.int64]
    group_members: NDArray[np.int64]
    home_state_vehicles: NDArray[np.int64]
    """Vehicles registered in the elsewhere cameras' state (Reno: NV plates)."""

    def weighted_vehicles(self, u: NDArray[np.float64]) -> NDArray[np.int64]:
        """Vehicles drawn in proportion to how much they drive, by ``u`` in [0, 1)."""
        found = np.searchsorted(self.cumulative_weight, u * self.cumulative_weight[-1], "right")
        return np.asarray(np.minimum(found, len(self.cumulative_weight) - 1), dtype=np.int64)


def compile_plan(plan: CityPlan) -> CityModel:
    """Draw the population and route every vehicle past the fixed cameras."""
    cams = plan.cameras
    population = build_population(plan)
    in_city_fixed = np.array([i for i, c in enumerate(cams) if c.kind == "fixed" and c.in_city],
                             dtype=np.int64)
    cam_x = np.array([cams[i].x for i in in_city_fixed], dtype=np.int64)
    cam_y = np.array([cams[i].y for i in in_city_fixed], dtype=np.int64)
    table = build_routes(plan.grid, population, cam_x, cam_y)
    routes = RouteTable(table.start, in_city_fixed[table.camera].astype(np.int32), table.offset_s)
    index = {c.camera_id: i for i, c in enumerate(cams)}

    n = len(population)
    group_size = np.ones(n, dtype=np.int64)
    members: list[list[int]] = [[v] for v in range(n)]
    for group in population.convoys:
        group_size[group[0]] = len(group)
        members[group[0]] = list(group)
    flat = np.array([v for m in members for v in m], dtype=np.int64)
    group_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(group_size, out=group_start[1:])

    elsewhere = np.array([i for i, c in enumerate(cams) if not c.in_city], dtype=np.int64)
    states = {plan.agency(cams[i].owner_id).home_state for i in elsewhere}
    codes = [STATES.index(s) for s in states if s in STATES]
    return CityModel(
        plan=plan,
        population=population,
        routes=routes,
        fleet=PatrolFleet.of(plan.patrols, index, plan.grid),
        camera_owner=np.array([c.owner_id for c in cams], dtype=np.int64),
        camera_lat=np.array([c.lat for c in cams], dtype=np.float32),
        camera_lon=np.array([c.lon for c in cams], dtype=np.float32),
        camera_heading=np.array([c.heading for c in cams], dtype=np.int16),
        camera_mobile=np.array([c.kind == "mobile" for c in cams], dtype=np.bool_),
        elsewhere=elsewhere,
        homes=NodeIndex.of(population.home, plan.grid.size),
        workplaces=NodeIndex.of(population.work, plan.grid.size),
        cumulative_weight=np.cumsum(population.weight),
        group_size=group_size,
        group_start=group_start,
        group_members=flat,
        home_state_vehicles=np.flatnonzero(np.isin(population.state, codes)).astype(np.int64),
    )
