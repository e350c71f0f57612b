"""`City`: a synthetic city that generates a stream of plate reads, deterministically.

Reads are generated in fixed blocks of `BLOCK_READS`, each seeded from ``(seed, block)``
and covering its own slice of the period's traffic, so the stream for a seed does not
depend on the batch size, and blocks come out roughly in time order (each insert touches
few partitions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from functools import cached_property

import numpy as np
import pyarrow as pa

from plateledger.sim.batches import to_table
from plateledger.sim.model import CityModel, compile_plan
from plateledger.sim.plan import CityPlan, default_plan
from plateledger.sim.registrations import plate_text
from plateledger.sim.sightings import (
    concat,
    elsewhere_sightings,
    patrol_sightings,
    trip_sightings,
)
from plateledger.sim.traffic import TrafficClock
from plateledger.sim.trips import COMMUTE_OUT, ROUTES_PER_VEHICLE
from plateledger.sim.truth import GroundTruth, VehicleOfInterest
from plateledger.sim.workload import Search, build_workload

BLOCK_READS = 1 << 17

Progress = Callable[[int], None]


class City:
    """The city of ``plan`` (default: Union City, CA and neighbours), ready to generate."""

    def __init__(self, plan: CityPlan | None = None) -> None:
        self.plan = plan if plan is not None else default_plan()
        self.model: CityModel = compile_plan(self.plan)

    def generate(
        self,
        seed: int,
        n_reads: int,
        start: datetime,
        days: float,
        batch_size: int = 1_000_000,
        *,
        retention_days: Mapping[int, int] | None = None,
        progress: Progress | None = None,
    ) -> Iterator[pa.Table]:
        """Yield ``n_reads`` reads in `ARROW_SCHEMA`, in tables of ``batch_size`` rows.

        Reads fall in ``[start, start + days)``, ``start`` time-zone aware. The same
        arguments give identical tables. ``retention_days`` maps an owner agency id to its
        retention clock (default 365 days); ``progress`` receives the reads generated so far.
        """
        if n_reads < 0 or batch_size < 1:
            raise ValueError("n_reads must be 0 or more and batch_size 1 or more")
        clock = TrafficClock.over(start, days)
        retention = dict(retention_days or {})
        pending: list[pa.Table] = []
        held = 0
        done = 0
        for block in range(math.ceil(n_reads / BLOCK_READS)):
            first = block * BLOCK_READS
            table = self._block(seed, block, first, min(BLOCK_READS, n_reads - first),
                                n_reads, clock, retention)
            pending.append(table)
            held += table.num_rows
            while held >= batch_size:
                joined = pa.concat_tables(pending)
                yield joined.slice(0, batch_size)
                done += batch_size
                if progress is not None:
                    progress(done)
                rest = joined.slice(batch_size)
                pending, held = ([rest] if rest.num_rows else []), rest.num_rows
        if held:
            yield pa.concat_tables(pending)
            if progress is not None:
                progress(done + held)

    def _block(self, seed: int, block: int, first: int, count: int, total: int,
               clock: TrafficClock, retention: Mapping[int, int]) -> pa.Table:
        rng = np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32, block])
        window = (first / total, (first + count) / total)
        mobile = round(count * self.plan.mobile_share)
        elsewhere = round(count * self.plan.elsewhere_share) if len(self.model.elsewhere) else 0
        if len(self.model.fleet) == 0:
            mobile = 0
        parts = [trip_sightings(self.model, clock, rng, window, count - mobile - elsewhere)]
        if mobile:
            parts.append(patrol_sightings(self.model, clock, rng, window, mobile))
        if elsewhere:
            parts.append(elsewhere_sightings(self.model, clock, rng, window, elsewhere))
        return to_table(self.model, concat(parts), rng, seed=seed, first=first,
                        retention_days=retention)

    def ground_truth(self) -> GroundTruth:
        return self._truth

    @cached_property
    def _truth(self) -> GroundTruth:
        pop, plan = self.model.population, self.plan
        convoys = tuple(tuple(pop.plate(v) for v in group) for group in pop.convoys)
        in_convoy = {v: group for group in pop.convoys for v in group}
        # The most active drivers, so that searches for them find plenty.
        busiest = np.argsort(-pop.weight, kind="stable")
        chosen = [int(v) for v in busiest if int(v) not in in_convoy][
            : max(0, plan.vehicles_of_interest - 1)]
        if pop.convoys:
            chosen.append(max((g[0] for g in pop.convoys), key=lambda v: float(pop.weight[v])))
        vois = []
        for v in chosen:
            home = plan.grid.lat_lon(pop.home[v:v + 1, 0].astype(float),
                                     pop.home[v:v + 1, 1].astype(float))
            work = plan.grid.lat_lon(pop.work[v:v + 1, 0].astype(float),
                                     pop.work[v:v + 1, 1].astype(float))
            passes = self.model.routes.passes(v * ROUTES_PER_VEHICLE + COMMUTE_OUT)
            vois.append(VehicleOfInterest(
                plate=pop.plate(v),
                region=pop.region(v),
                home=(float(home[0][0]), float(home[1][0])),
                work=(float(work[0][0]), float(work[1][0])),
                commute=tuple((plan.cameras[c].camera_id, t) for c, t in passes),
                convoy=tuple(pop.plate(m) for m in in_convoy.get(v, ()) if m != v),
            ))
        plates = frozenset(plate_text(row) for row in pop.plates)
        return GroundTruth(convoys=convoys, vehicles_of_interest=tuple(vois),
                           registered_plates=plates)

    def search_workload(self, seed: int, n: int, *, start: datetime | None = None,
                        days: float = 1.0) -> list[Search]:
        """``n`` realistic searches against reads generated over ``[start, start + days)``."""
        return build_workload(self, seed, n, start=start, days=days)
