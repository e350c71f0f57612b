"""docs/retention.md's table of pack clocks says what `LAW_PACKS` enforces."""

from __future__ import annotations

from pathlib import Path

import pytest

from plateledger.policy.lawpack import LAW_PACKS, STATE_PACKS

DOC = Path(__file__).parents[2] / "docs" / "retention.md"


def rows() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in LAW_PACKS:
            found[cells[0]] = cells
    return found


@pytest.mark.parametrize("code", STATE_PACKS)
def test_each_pack_has_its_clocks_and_audit_floor_in_the_table(code: str) -> None:
    row = rows().get(code)
    assert row is not None, f"docs/retention.md has no row for `{code}`"
    preset = LAW_PACKS[code].retention
    _, non_hit, hit, audit, _ = row
    if preset.non_hit is None:
        assert "days" not in non_hit or "e.g." in non_hit
    elif preset.non_hit.days:
        assert f"{preset.non_hit.days} days" in non_hit
    else:
        assert f"{preset.non_hit.seconds // 60} minutes" in non_hit
    assert (hit == "agency") == (preset.hit is None)
    if preset.hit is not None:
        assert f"{preset.hit.days} days" in hit
    assert audit.startswith(f"{preset.audit.days} days")
