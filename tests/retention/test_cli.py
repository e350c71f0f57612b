import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from plateledger.audit import NoteSigner
from plateledger.cli.retention import app

RUN_CLI = "from plateledger.cli.retention import app; app()"


def test_every_retention_command_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "retention.md").read_text()
    for command in ("retention run", "retention show", "retention holds list",
                    "retention holds place", "retention holds release"):
        assert f"plateledger {command}" in docs


def test_the_commands_describe_themselves() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "show", "holds"):
        assert command in result.output


def test_run_with_a_data_directory_purges_a_stopped_installation(tmp_path: Path) -> None:
    # its own process: chDB serves one data directory per process
    NoteSigner.load_or_create(tmp_path, "retention.test.example/log")
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "run", "--data-dir", str(tmp_path), "-o", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    receipt = json.loads(done.stdout)
    assert receipt["rows_deleted"] == 0
    assert receipt["audit_index"] == 0
