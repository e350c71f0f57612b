"""docs/policies.md lists every rule of every pack (but the role pack's, in accounts.md)
with the pack's own citation and a scenario that exists and expects the rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plateledger.policy import LAW_PACKS
from plateledger.policy.lawpack import ROLES
from tests.policy.scenario import load_cases

DOC = Path(__file__).parents[2] / "docs" / "policies.md"
ROW = re.compile(r"^\| `([a-z0-9.-]+)` \| ([^|]+) \| ([^|]+) \| `([^`]+)` \|$")
CASES = dict(load_cases())


def _rows() -> dict[str, tuple[str, str, str]]:
    found: dict[str, tuple[str, str, str]] = {}
    for line in DOC.read_text("utf-8").splitlines():
        match = ROW.match(line.strip())
        if match is None:
            continue
        rule, citation, reason, held_by = match.groups()
        assert rule not in found, f"`{rule}` is listed twice"
        found[rule] = (citation.strip(), reason.strip(), held_by)
    return found


ROWS = _rows()
RULES = sorted(
    (note.policy_id, note.citation, note.reason)
    for code, pack in LAW_PACKS.items() if code != ROLES for note in pack.notes
)


def test_the_doc_lists_rules_only_of_the_packs() -> None:
    assert len(RULES) > 30
    assert set(ROWS) == {rule for rule, _, _ in RULES}


@pytest.mark.parametrize(("rule", "citation", "reason"), RULES, ids=[r for r, _, _ in RULES])
def test_every_rule_is_listed_with_its_citation_and_a_scenario_that_holds_it(
    rule: str, citation: str, reason: str
) -> None:
    assert rule in ROWS, f"`{rule}` is not in docs/policies.md"
    listed_citation, listed_reason, held_by = ROWS[rule]
    assert (listed_citation, listed_reason) == (citation, reason)
    assert held_by in CASES, f"no scenario `{held_by}` in tests/policy/cases"
    expect = CASES[held_by]["expect"].values()
    assert any(rule in owner["policy_ids"] and not owner["allowed"] for owner in expect)
