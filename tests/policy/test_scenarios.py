"""Every scenario under ``cases/`` decides as written, naming the policies that decided."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy.scenario import build, load_cases

CASES = load_cases()


@pytest.mark.parametrize(("title", "raw"), CASES, ids=[title for title, _ in CASES])
def test_scenario_decides_as_written(title: str, raw: dict[str, Any]) -> None:
    case = build(raw, title)
    decision = case.engine.decide(case.request)
    got = {
        case.names[owner]: {"allowed": d.allowed, "policy_ids": sorted(d.policy_ids)}
        for owner, d in decision.per_owner.items()
    }
    want = {
        name: {"allowed": e["allowed"], "policy_ids": sorted(e["policy_ids"])}
        for name, e in case.expect.items()
    }
    assert got == want
    for name, e in case.expect.items():
        if "limits" in e:
            limits = decision.per_owner[case.request.owners[list(case.expect).index(name)]].limits
            assert {k: getattr(limits, k) for k in e["limits"]} == e["limits"]
    if case.flags is not None:
        assert {f.value for f in decision.reason_flags} == case.flags


def test_there_are_enough_scenarios_to_cover_every_pack() -> None:
    text = " ".join(str(raw) for _, raw in CASES)
    assert len(CASES) >= 60
    for prefix in ("ca-", "il-", "va-", "nh-", "wa-", "me-", "vt-", "mn-", "or-", "ca-strict-",
                   "owner-"):
        assert prefix in text
