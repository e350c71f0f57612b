"""The policy gate between a hit and its delivery.

The matcher finds every candidate hit; before anything of a read reaches a list's owner,
the gate is asked, per listed entry, whether that owner may ``receive_alert`` from the
read's owner (`AlertQuestion`: declared category, screened class, case number, the
screened words). `EngineAlertGate` answers with the Cedar policy engine, law packs and
agreements; the server's gate is one over its catalog's current engine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from plateledger.policy import Limits, OwnerDecision, PolicyEngine
from plateledger.policy.alert import (
    AlertQuestion,
    ImportQuestion,
    import_request,
    question_request,
)


class FileTypeGate(Protocol):
    """Decides an `ImportQuestion` (what an import needs of a gate)."""

    def decide_import(self, question: ImportQuestion) -> OwnerDecision: ...


class AlertGate(Protocol):
    """Decides an `AlertQuestion`: the policy decision for the read's owner; and an
    `ImportQuestion`: whether a list's owner may hold entries of a file type, on its own
    data. Must not raise for an ordinary denial; an exception is treated as a denial
    (fail closed)."""

    def decide(self, question: AlertQuestion) -> OwnerDecision: ...

    def decide_import(self, question: ImportQuestion) -> OwnerDecision: ...


class EngineAlertGate:
    """The gate of the policy engine that ``engine`` returns when asked (the current one)."""

    def __init__(
        self, engine: Callable[[], PolicyEngine],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self._engine = engine
        self._clock = clock

    def decide(self, question: AlertQuestion) -> OwnerDecision:
        request = question_request(question, self._clock())
        return self._engine().decide(request).per_owner[question.read_owner_id]

    def decide_import(self, question: ImportQuestion) -> OwnerDecision:
        request = import_request(question, self._clock())
        return self._engine().decide(request).per_owner[question.list_owner_id]


GATE_ERROR = "gate.error"
"""Policy id recorded when the gate raised: no decision means no delivery."""


def gate_error(question: AlertQuestion) -> OwnerDecision:
    """The denial recorded when the gate gave no decision: no decision, no delivery."""
    return OwnerDecision(question.read_owner_id, False, (GATE_ERROR,), Limits(images=False))


def import_gate_error(question: ImportQuestion) -> OwnerDecision:
    """The refusal recorded when the gate gave no decision on an import: nothing stored."""
    return OwnerDecision(question.list_owner_id, False, (GATE_ERROR,), Limits(images=False))
