"""docs/accounts.md says what each role may do; the policy engine must agree, cell by cell."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from plateledger.policy import AccessRequest, Action, AgencyFacts, AgencyKind, PolicyEngine

DOC = Path(__file__).parents[2] / "docs" / "accounts.md"
ROLES = ["investigator", "supervisor", "dispatcher", "auditor", "admin"]


def _table() -> dict[str, dict[str, bool]]:
    lines = DOC.read_text().splitlines()
    start = lines.index("| action | " + " | ".join(ROLES) + " |")
    table: dict[str, dict[str, bool]] = {}
    for line in lines[start + 2:]:
        if not line.startswith("| `"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0].strip("`")] = {
            role: {"✓": True, "—": False}[cell] for role, cell in zip(ROLES, cells[1:], strict=True)
        }
    return table


def test_the_roles_table_covers_every_action() -> None:
    assert set(_table()) == {a.value for a in Action}


def test_the_engine_decides_each_role_as_the_table_says() -> None:
    agency = AgencyFacts(1, "Union City PD", AgencyKind.MUNICIPAL, "CA", ("CA",))
    engine = PolicyEngine([agency], [])
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for action, allowed in _table().items():
        for role, want in allowed.items():
            decision = engine.decide(AccessRequest(
                user_id=7, user_agency_id=1, requested_by_agency_id=1,
                action=Action(action), purpose=None, case_number="25-1",
                reason="white sedan seen leaving the shooting", lookback_days=7, owners=[1],
                now=now, hotlist_category="stolen_vehicle", user_roles=frozenset({role}),
            ))
            got = decision.per_owner[1]
            assert got.allowed == want, (action, role, got.policy_ids)
            if not want:
                assert all(pid.startswith("role-") for pid in got.policy_ids), got.policy_ids
