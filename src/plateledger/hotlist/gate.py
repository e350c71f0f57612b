"""The policy gate between a hit and its delivery.

The matcher finds every candidate hit; before anything of a read reaches a list's owner,
the gate is asked whether that owner may ``receive_alert`` from the read's owner for the
list's category. The server implements the gate with the Cedar policy engine (law packs
``forbid`` an immigration list from matching California, Illinois or Washington reads);
this package only depends on the protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class GateDecision:
    """Whether delivery is allowed, and the ids of the policies that decided it."""

    allowed: bool
    policy_ids: tuple[str, ...] = ()


class AlertGate(Protocol):
    """Decides whether ``list_owner_id`` may receive hits on ``read_owner_id``'s reads from
    a list of ``category``. Must not raise for an ordinary denial; an exception is treated
    as a denial (fail closed)."""

    def decide(self, list_owner_id: int, read_owner_id: int, category: str) -> GateDecision: ...


GATE_ERROR = "gate.error"
"""Policy id recorded when the gate raised: no decision means no delivery."""
