"""docs/formats.md documents every adapter and the limits it enforces."""

from pathlib import Path

import pytest

from plateledger.ingest import ADAPTERS, MAX_BATCH_ITEMS

DOC = (Path(__file__).parents[2] / "docs" / "formats.md").read_text()


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_format_is_documented(name: str) -> None:
    assert f"| `{name}` |" in DOC
    assert f"## {name}" in DOC or f"and {name}" in DOC


def test_the_batch_limit_is_documented() -> None:
    assert f"{MAX_BATCH_ITEMS:,}" in DOC and "16 MiB" in DOC
