"""A realistic mix of investigator searches, for benchmarks and search tests.

Plates are drawn in proportion to how much each vehicle drives, so exact searches hit
plates that exist in the reads; fuzzy searches start from a plausible misreading.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from plateledger.sim.ocr import LOOK_ALIKE

if TYPE_CHECKING:
    from plateledger.sim.city import City

Search = dict[str, object]

DEFAULT_START = datetime(2025, 1, 6, tzinfo=UTC)

MIX: tuple[tuple[str, float], ...] = (
    ("exact", 0.40),
    ("wildcard", 0.20),
    ("fuzzy", 0.20),
    ("camera", 0.15),
    ("convoy", 0.05),
)
"""Share of each search kind (exact lookups dominate real audit logs)."""


def _wildcard(plate: str, rng: np.random.Generator) -> str:
    """Witness-style partial plate: one or two unknown characters, or a known prefix."""
    if rng.random() < 0.25:
        return plate[: int(rng.integers(3, len(plate)))] + "*"
    unknown = rng.choice(len(plate), size=int(rng.integers(1, 3)), replace=False)
    return "".join("?" if i in unknown else ch for i, ch in enumerate(plate))


def _misread(plate: str, rng: np.random.Generator) -> str:
    """One confusable substitution, or a dropped character if none is possible."""
    positions = [i for i, ch in enumerate(plate) if LOOK_ALIKE[ord(ch)]]
    if positions:
        i = int(rng.choice(positions))
        return plate[:i] + chr(LOOK_ALIKE[ord(plate[i])]) + plate[i + 1 :]
    i = int(rng.integers(0, len(plate)))
    return plate[:i] + plate[i + 1 :]


def build_workload(city: City, seed: int, n: int, *, start: datetime | None = None,
                   days: float = 1.0) -> list[Search]:
    """``n`` searches; camera windows lie in ``[start, start + days)``."""
    rng = np.random.default_rng([seed, 0x5EA1C4])
    pop, plan = city.model.population, city.plan
    begin = start if start is not None else DEFAULT_START
    kinds = [k for k, _ in MIX]
    shares = np.array([s for _, s in MIX])
    fixed = [c.camera_id for c in plan.cameras if c.kind == "fixed" and c.in_city]
    convoys = pop.convoys
    out: list[Search] = []
    for kind in rng.choice(kinds, size=n, p=shares / shares.sum()):
        v = int(city.model.weighted_vehicles(rng.random(1))[0])
        plate = pop.plate(v)
        if kind == "exact":
            out.append({"kind": "exact", "plate": plate, "region": pop.region(v)})
        elif kind == "wildcard":
            out.append({"kind": "wildcard", "pattern": _wildcard(plate, rng), "truth": plate})
        elif kind == "fuzzy":
            out.append({"kind": "fuzzy", "plate": _misread(plate, rng), "truth": plate})
        elif kind == "camera":
            length = timedelta(minutes=int(rng.integers(15, 121)))
            room = max(0.0, days * 86_400 - length.total_seconds())
            at = begin + timedelta(seconds=float(rng.random() * room))
            out.append({"kind": "camera", "camera_id": str(rng.choice(fixed)),
                        "start": at.isoformat(), "end": (at + length).isoformat()})
        elif convoys:
            group = convoys[int(rng.integers(0, len(convoys)))]
            out.append({"kind": "convoy", "plate": pop.plate(group[0]),
                        "truth": [pop.plate(m) for m in group[1:]]})
        else:
            out.append({"kind": "exact", "plate": plate, "region": pop.region(v)})
    return out
