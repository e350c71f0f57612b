"""docs/deployment.md lists every setting, and only settings that exist."""

from __future__ import annotations

import re
from pathlib import Path

from plateledger.settings import Settings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text()


def _documented() -> set[str]:
    rows = [line for line in DOC.splitlines() if line.startswith("| `")]
    return {name.lower() for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}


def test_every_setting_is_documented() -> None:
    assert set(Settings.model_fields) <= _documented()


def test_every_documented_setting_exists() -> None:
    assert _documented() <= set(Settings.model_fields)
