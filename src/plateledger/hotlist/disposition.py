"""Hit dispositions: what an officer found when checking a hit, and what followed.

New Hampshire (RSA 261:75-b) asks for a visual confirmation of plate and state before a
stop and an annual report of matches, stops and outcomes; ``DispositionStats`` holds those
numbers, and ``check_disposition`` refuses an action that needs a stop on a hit nobody
confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from plateledger.hotlist.errors import DispositionError


class Disposition(StrEnum):
    """The result of the officer's check."""

    CONFIRMED = "confirmed"
    """Plate text and state checked visually and they match the listed plate."""
    MISREAD = "misread"
    """The camera misread the plate: it is not the listed plate."""
    WRONG_STATE = "wrong_state"
    """Same characters, but another state's plate."""
    DISMISSED = "dismissed"
    """Not pursued (no unit free, entry out of date…)."""


class HitAction(StrEnum):
    """What followed the check."""

    NONE = "none"
    STOP = "stop"
    """Stopped; no further action."""
    WARNING = "warning"
    CITATION = "citation"
    ARREST = "arrest"
    VEHICLE_RECOVERED = "vehicle_recovered"
    """Recovered (parked, abandoned) without a stop."""
    PERSON_LOCATED = "person_located"
    """A missing or endangered person located without a stop."""


STOP_ACTIONS = frozenset({HitAction.STOP, HitAction.WARNING, HitAction.CITATION, HitAction.ARREST})
"""Actions that mean a vehicle was stopped."""


def check_disposition(disposition: Disposition, action: HitAction) -> None:
    """Refuse any action but ``none`` unless the hit was confirmed: nobody may act on an
    unconfirmed hit, and a misread plate cannot lead to an arrest."""
    if action is not HitAction.NONE and disposition is not Disposition.CONFIRMED:
        raise DispositionError(
            f"action `{action.value}` needs a confirmed hit, not `{disposition.value}`"
        )


@dataclass(frozen=True, slots=True)
class DispositionStats:
    """Hits delivered to an agency in a period and what became of them.

    ``matches`` = ``pending`` + ``confirmed`` + ``misread`` + ``wrong_state`` + ``dismissed``;
    ``stops`` ≤ ``confirmed``; ``outcomes`` counts every action of a confirmed hit, and the
    counts of ``STOP_ACTIONS`` in it add up to ``stops``.
    """

    matches: int
    pending: int
    confirmed: int
    misread: int
    wrong_state: int
    dismissed: int
    stops: int
    outcomes: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
