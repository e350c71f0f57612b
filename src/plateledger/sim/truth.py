"""Ground truth the simulator knows and the reads only imply: convoys, true routes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VehicleOfInterest:
    """A vehicle whose true plate and habits a test or a demo can check searches against.

    ``commute`` lists the fixed cameras of its home-to-work route, in the order driven,
    with the seconds after departure at which it passes each.
    """

    plate: str
    region: str
    home: tuple[float, float]
    work: tuple[float, float]
    commute: tuple[tuple[str, float], ...]
    convoy: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroundTruth:
    """Convoy groups (true plates, leader first) and the vehicles of interest."""

    convoys: tuple[tuple[str, ...], ...]
    vehicles_of_interest: tuple[VehicleOfInterest, ...]
    registered_plates: frozenset[str]
    """Every vehicle's true plate: a read plate outside this set is a misread."""
