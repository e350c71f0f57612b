"""The vehicle population: plates, looks, homes, workplaces, errands and convoys."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plateledger.sim.plan import CityPlan
from plateledger.sim.registrations import (
    CALIFORNIA,
    FORMATS,
    OUT_OF_STATE,
    PLATE_WIDTH,
    plate_text,
    unique_plates,
)

COLOURS: tuple[tuple[str, float], ...] = (
    ("white", 0.24), ("black", 0.22), ("gray", 0.18), ("silver", 0.13), ("blue", 0.09),
    ("red", 0.09), ("green", 0.02), ("brown", 0.02), ("gold", 0.01),
)
"""Colour shares roughly as US registrations report them."""

MODELS: tuple[tuple[str, str, str, float], ...] = (
    ("Toyota", "Camry", "sedan", 0.07), ("Toyota", "Corolla", "sedan", 0.06),
    ("Toyota", "RAV4", "suv", 0.07), ("Toyota", "Tacoma", "pickup", 0.03),
    ("Honda", "Civic", "sedan", 0.07), ("Honda", "Accord", "sedan", 0.05),
    ("Honda", "CR-V", "suv", 0.05), ("Tesla", "Model 3", "sedan", 0.06),
    ("Tesla", "Model Y", "suv", 0.06), ("Ford", "F-150", "pickup", 0.05),
    ("Ford", "Transit", "van", 0.02), ("Chevrolet", "Silverado", "pickup", 0.03),
    ("Nissan", "Altima", "sedan", 0.04), ("Nissan", "Rogue", "suv", 0.03),
    ("Hyundai", "Elantra", "sedan", 0.03), ("Kia", "Sportage", "suv", 0.02),
    ("Subaru", "Outback", "wagon", 0.03), ("BMW", "3 Series", "sedan", 0.03),
    ("Lexus", "RX", "suv", 0.02), ("Jeep", "Wrangler", "suv", 0.02),
    ("Mercedes-Benz", "C-Class", "sedan", 0.02), ("Volkswagen", "Jetta", "sedan", 0.02),
    ("Chrysler", "Pacifica", "minivan", 0.02), ("Honda", "Odyssey", "minivan", 0.02),
    ("Ram", "1500", "pickup", 0.02), ("Mazda", "CX-5", "suv", 0.02),
    ("Freightliner", "Cascadia", "truck", 0.01), ("Harley-Davidson", "Street", "motorcycle", 0.01),
)
"""(make, model, body type, share): the Bay Area's common vehicles, shares made up."""

STATES: tuple[str, ...] = tuple(f.region for f in FORMATS)


@dataclass(frozen=True)
class Population:
    """Per-vehicle arrays, index = vehicle number.

    ``plates`` is a ``(n, PLATE_WIDTH)`` byte matrix; ``state`` indexes `STATES`;
    ``home``/``work``/``errand_a``/``errand_b`` are ``(n, 2)`` grid coordinates;
    ``weight`` is how much a vehicle drives (its share of trips); ``convoys`` lists groups
    of vehicle numbers that travel together, leader first.
    """

    plates: NDArray[np.uint8]
    plate_len: NDArray[np.int64]
    state: NDArray[np.int64]
    model: NDArray[np.int64]
    colour: NDArray[np.int64]
    home: NDArray[np.int64]
    work: NDArray[np.int64]
    errand_a: NDArray[np.int64]
    errand_b: NDArray[np.int64]
    weight: NDArray[np.float64]
    convoys: tuple[tuple[int, ...], ...]

    def __len__(self) -> int:
        return len(self.plate_len)

    def plate(self, vehicle: int) -> str:
        return plate_text(self.plates[vehicle])

    def region(self, vehicle: int) -> str:
        return STATES[int(self.state[vehicle])]


def _weighted(rng: np.random.Generator, weights: list[float], size: int) -> NDArray[np.int64]:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int64)


def _places(rng: np.random.Generator, size: int, grid: int, centres: NDArray[np.float64],
            spread: float) -> NDArray[np.int64]:
    """Grid nodes clustered around ``centres`` (shopping streets, business parks)."""
    pick = centres[rng.integers(0, len(centres), size=size)]
    points = np.rint(pick + rng.normal(0.0, spread, size=(size, 2)))
    return np.clip(points, 0, grid - 1).astype(np.int64)


def build_population(plan: CityPlan) -> Population:
    """Draw the vehicles of ``plan`` from ``plan.population_seed`` (deterministic)."""
    rng = np.random.default_rng(plan.population_seed)
    n, size = plan.vehicles, plan.grid.size
    out_of_state = round(n * plan.out_of_state_share)
    counts = [n - out_of_state]
    shares = [f.share for f in OUT_OF_STATE]
    split = np.floor(np.asarray(shares) / sum(shares) * out_of_state).astype(int)
    split[0] += out_of_state - int(split.sum())
    counts += [int(c) for c in split]
    matrices = [unique_plates(CALIFORNIA, counts[0], rng)]
    matrices += [unique_plates(f, c, rng) for f, c in zip(OUT_OF_STATE, counts[1:], strict=True)]
    state = np.repeat(np.arange(len(FORMATS), dtype=np.int64), counts)
    order = rng.permutation(n)
    plates = np.concatenate(matrices)[order]
    state = state[order]
    assert plates.shape[1] == PLATE_WIDTH
    plate_len = (plates != 0).sum(axis=1).astype(np.int64)

    home = rng.integers(0, size, size=(n, 2)).astype(np.int64)
    # Out-of-state vehicles enter from the city's edge (the freeway or the hills).
    visitors = state != 0
    home[visitors, 0] = np.where(rng.random(int(visitors.sum())) < 0.7, 0, size - 1)
    centres = np.array([[size * 0.5, size * 0.5], [size * 0.2, size * 0.75],
                        [size * 0.8, size * 0.25], [size * 0.3, size * 0.2]])
    work = _places(rng, n, size, centres, size * 0.08)
    errand_a = _places(rng, n, size, centres, size * 0.12)
    errand_b = _places(rng, n, size, centres, size * 0.2)
    weight = rng.lognormal(0.0, 0.8, size=n)

    convoys: list[tuple[int, ...]] = []
    members = rng.permutation(n)[: max(4, int(n * plan.convoy_share))]
    i = 0
    while i + 1 < len(members):
        group = 3 if rng.random() < 0.2 and i + 2 < len(members) else 2
        convoys.append(tuple(int(v) for v in members[i : i + group]))
        i += group
    for members_of in convoys:
        # A convoy shares a home base and drives often enough to be seen.
        lead = members_of[0]
        home[list(members_of)] = home[lead]
        work[list(members_of)] = work[lead]
        weight[lead] = max(float(weight[lead]), 2.0)

    return Population(
        plates=plates,
        plate_len=plate_len,
        state=state,
        model=_weighted(rng, [m[3] for m in MODELS], n),
        colour=_weighted(rng, [c[1] for c in COLOURS], n),
        home=home,
        work=work,
        errand_a=errand_a,
        errand_b=errand_b,
        weight=weight,
        convoys=tuple(convoys),
    )
