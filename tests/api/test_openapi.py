"""The OpenAPI schema integrators read: docs/openapi.json is the one the app serves."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from plateledger.api import create_app
from plateledger.cli.main import app
from plateledger.settings import Settings

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_committed_schema_is_the_served_one() -> None:
    served = create_app(Settings()).openapi()
    assert json.loads(COMMITTED.read_text()) == json.loads(json.dumps(served)), (
        "docs/openapi.json is stale: run `plateledger openapi --out docs/openapi.json`"
    )


def test_every_operation_is_in_a_documented_group() -> None:
    schema = create_app(Settings()).openapi()
    groups = {tag["name"] for tag in schema.get("tags", [])}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            tags = operation.get("tags") or []
            assert tags, f"{method.upper()} {path} has no tag"
            assert set(tags) <= groups, f"{method.upper()} {path}: {tags} not described"


def test_the_command_prints_the_schema() -> None:
    result = CliRunner().invoke(app, ["openapi"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["info"]["title"] == "plateledger"
