"""The legal-basis gate of pattern-of-life searches, scenario by scenario
(``cases/legal_basis.yaml``): each case's decision comes from the policy set, as in
`test_scenarios`; the gate's answer from that decision and the settings alone."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from plateledger.access.approvals import waits_because
from plateledger.access.legal_basis import LegalBasis, LegalBasisRequired, require_legal_basis
from tests.policy.scenario import CASES, build

RAW = yaml.safe_load((CASES / "legal_basis.yaml").read_text())
GATED = [(raw["name"], raw) for raw in RAW]


def gate(raw: dict[str, Any]) -> tuple[str, list[str]]:
    case = build(raw, raw["name"])
    try:
        basis = raw["legal_basis"]
        require_legal_basis(None if basis is None else LegalBasis.model_validate(basis))
    except LegalBasisRequired:
        return "legal_basis_required", []
    decision = case.engine.decide(case.request)
    requiring = set(raw.get("approval_rules") or ())
    requester = case.names[case.request.user_agency_id]
    packs = {a.name: a.law_packs for a in case.engine.agencies.values()}
    because = waits_because(requester, requester in requiring, [
        (case.names[owner], packs[case.names[owner]],
         case.names[owner] in requiring and case.names[owner] != requester)
        for owner, verdict in sorted(decision.per_owner.items()) if verdict.allowed
    ])
    return ("waits_for_supervisor" if because else "runs"), because


@pytest.mark.parametrize(("title", "raw"), GATED, ids=[t for t, _ in GATED])
def test_the_legal_basis_gate_answers_as_written(title: str, raw: dict[str, Any]) -> None:
    answer, because = gate(raw)
    assert answer == raw["gate"], because


def test_the_gate_covers_each_way_a_search_waits_or_runs() -> None:
    assert {raw["gate"] for raw in RAW} == {"legal_basis_required", "waits_for_supervisor",
                                            "runs"}
    _, because = gate(RAW[0])
    assert because == ["`minneapolis_pd` data: Minnesota's tracking rule (Minn. Stat. "
                       "13.824 subd. 2)"]
