"""The entry types docs/audit.md lists are every type the code can write: read from the
source (each call of ``new_entry`` and ``change_entry``), not from a list kept here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.access.test_change_log_kinds import SRC, _Module

DOC = Path(__file__).parents[2] / "docs" / "audit.md"


def documented_types() -> set[str]:
    [row] = [line for line in DOC.read_text().splitlines() if line.startswith("| `type` | one of")]
    return set(re.findall(r"`([a-z_]+)`", row.split("|")[2]))


def written_types() -> set[str | None]:
    """The first argument of each ``new_entry`` / ``change_entry`` call in the source, as
    far as a reading of the code can follow it (``None`` where it cannot)."""
    found: set[str | None] = set()
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text()
        if "new_entry(" not in text and "change_entry(" not in text:
            continue
        if path.parent.name == "audit" and path.stem in ("entry", "changes"):
            continue  # the helpers themselves: their callers are read instead
        module: _Module | None = None
        for node in ast.walk(ast.parse(text)):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("new_entry", "change_entry")
                and node.args
            ):
                continue
            module = module or _Module(path)
            [call] = [
                n
                for n in ast.walk(module.tree)
                if isinstance(n, ast.Call)
                and (n.lineno, n.col_offset) == (node.lineno, node.col_offset)
            ]
            function = module.function(call)
            envs = list(module.bindings(function)) if function is not None else []
            for env in envs or [None]:
                found |= module.values(call.args[0], env)
    return found


def test_every_entry_type_the_code_writes_is_documented() -> None:
    written = written_types()
    assert {"audit_read", "agency_change", "federated_search"} <= written
    missing = sorted(t for t in written if t is not None and t not in documented_types())
    assert not missing, f"docs/audit.md's `type` row lacks {missing}"
