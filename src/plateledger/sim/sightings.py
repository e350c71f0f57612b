"""Sightings: which vehicle passed which camera when, before the camera reads its plate.

A block of sightings covers a slice of the period's traffic; fixed cameras see vehicles
on their trips (convoys together), patrol cars see parked and passing vehicles around
their loop, and the elsewhere cameras (Reno) see mostly their own state's plates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plateledger.sim.model import CityModel, NodeIndex
from plateledger.sim.traffic import TrafficClock
from plateledger.sim.trips import (
    COMMUTE_BACK,
    COMMUTE_OUT,
    ERRAND_A_OUT,
    ERRAND_B_OUT,
    ROUTES_PER_VEHICLE,
)

GPS_NOISE_DEGREES = 0.00004
"""About 4 m: a patrol car's GPS fix is never exactly on the kerb line."""


@dataclass(frozen=True)
class Sightings:
    """One entry per future read; ``camera`` indexes the plan's cameras."""

    vehicle: NDArray[np.int64]
    camera: NDArray[np.int64]
    ts_ms: NDArray[np.int64]
    lat: NDArray[np.float32]
    lon: NDArray[np.float32]
    heading: NDArray[np.int16]

    def __len__(self) -> int:
        return len(self.vehicle)


def _route_kinds(clock: TrafficClock, dep: NDArray[np.int64],
                 rng: np.random.Generator) -> NDArray[np.int64]:
    """Commutes in the rush hours of working days, errands otherwise."""
    hour_bin = clock.hour_bin(dep)
    hour = clock.local_hour[hour_bin]
    weekend = clock.weekend[hour_bin]
    rush = ((hour >= 6) & (hour < 10)) | ((hour >= 15) & (hour < 19))
    p_commute = np.where(weekend, 0.05, np.where(rush, 0.65, 0.12))
    u = rng.random((3, len(dep)))
    commute = np.where(hour < 13, COMMUTE_OUT, COMMUTE_BACK)
    errand = np.where(u[1] < 0.7, ERRAND_A_OUT, ERRAND_B_OUT) + (u[2] < 0.5)
    return np.where(u[0] < p_commute, commute, errand).astype(np.int64)


def trip_sightings(model: CityModel, clock: TrafficClock, rng: np.random.Generator,
                   window: tuple[float, float], count: int) -> Sightings:
    """``count`` fixed-camera sightings from trips departing in the traffic ``window``.

    Trips are drawn until they pass enough cameras; the last trip may be cut short.
    Convoy followers take the leader's route a few seconds behind.
    """
    routes = model.routes
    mean_passes = max(0.5, float(routes.start[-1]) / (len(routes.start) - 1))
    parts: list[tuple[NDArray[np.int64], ...]] = []
    total = 0
    while total < count:
        trips = int((count - total) / mean_passes * 1.2) + 32
        dep = clock.times(window[0] + (window[1] - window[0]) * rng.random(trips))
        leader = model.weighted_vehicles(rng.random(trips))
        route = leader * ROUTES_PER_VEHICLE + _route_kinds(clock, dep, rng)
        gap_ms = rng.integers(1_500, 9_000, size=trips)
        size = model.group_size[leader]
        trip = np.repeat(np.arange(trips), size)
        member = np.arange(len(trip)) - np.repeat(np.cumsum(size) - size, size)
        vehicle = model.group_members[model.group_start[leader[trip]] + member]
        passes = routes.length(route[trip])
        parts.append((vehicle, route[trip], dep[trip] + member * gap_ms[trip], passes))
        total += int(passes.sum())
    vehicle, route, dep, passes = (np.concatenate(p) for p in zip(*parts, strict=True))
    ends = np.cumsum(passes)
    keep = int(np.searchsorted(ends, count, "left")) + 1
    vehicle, route, dep, passes = vehicle[:keep], route[:keep], dep[:keep], passes[:keep]
    trip = np.repeat(np.arange(keep), passes)[:count]
    step = np.arange(count) - np.repeat(np.cumsum(passes) - passes, passes)[:count]
    hit = routes.start[route[trip]] + step
    camera = routes.camera[hit].astype(np.int64)
    ts = dep[trip] + (routes.offset_s[hit] * 1000.0).astype(np.int64)
    ts += rng.integers(0, 1_200, size=count)
    span = clock.end_ms - clock.start_ms
    ts = np.where(ts >= clock.end_ms, clock.start_ms + (ts - clock.start_ms) % span, ts)
    return Sightings(vehicle[trip], camera, ts, model.camera_lat[camera],
                     model.camera_lon[camera], model.camera_heading[camera])


def _resident(index: NodeIndex, node: NDArray[np.int64], u: NDArray[np.float64],
              fallback: NDArray[np.int64]) -> NDArray[np.int64]:
    """A vehicle living (or working) at ``node``, or ``fallback`` where nobody does."""
    lo, hi = index.start[node], index.start[node + 1]
    pick = np.minimum(lo + (u * (hi - lo)).astype(np.int64), len(index.vehicles) - 1)
    return np.where(hi > lo, index.vehicles[pick], fallback)


def patrol_sightings(model: CityModel, clock: TrafficClock, rng: np.random.Generator,
                     window: tuple[float, float], count: int) -> Sightings:
    """Patrol cars on shift read parked cars near their loop, and some passing traffic."""
    ts = clock.times(window[0] + (window[1] - window[0]) * rng.random(count))
    hour = clock.local_hour[clock.hour_bin(ts)]
    u = rng.random((4, count))
    fleet = model.fleet
    car = fleet.on_shift(hour, u[0])
    x, y, heading = fleet.position(car, ts)
    size = model.plan.grid.size
    node = np.rint(x).astype(np.int64) * size + np.rint(y).astype(np.int64)
    passing = model.weighted_vehicles(u[1])
    daytime = (hour >= 8) & (hour < 18)
    parked = np.where(daytime, _resident(model.workplaces, node, u[2], passing),
                      _resident(model.homes, node, u[2], passing))
    vehicle = np.where(u[3] < 0.35, passing, parked)
    lat, lon = model.plan.grid.lat_lon(x, y)
    noise = rng.normal(0.0, GPS_NOISE_DEGREES, size=(2, count))
    return Sightings(vehicle, fleet.camera[car], ts, (lat + noise[0]).astype(np.float32),
                     (lon + noise[1]).astype(np.float32), heading)


def elsewhere_sightings(model: CityModel, clock: TrafficClock, rng: np.random.Generator,
                        window: tuple[float, float], count: int) -> Sightings:
    """Cameras outside the city: mostly their own state's plates, some travellers."""
    ts = clock.times(window[0] + (window[1] - window[0]) * rng.random(count))
    u = rng.random((4, count))
    camera = model.elsewhere[(u[0] * len(model.elsewhere)).astype(np.int64)]
    local = model.home_state_vehicles
    traveller = model.weighted_vehicles(u[1])
    if len(local):
        own = local[(u[2] * len(local)).astype(np.int64)]
        vehicle = np.where(u[3] < 0.7, own, traveller)
    else:
        vehicle = traveller
    return Sightings(vehicle, camera, ts, model.camera_lat[camera], model.camera_lon[camera],
                     model.camera_heading[camera])


def concat(parts: list[Sightings]) -> Sightings:
    return Sightings(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                       ("vehicle", "camera", "ts_ms", "lat", "lon", "heading")))
