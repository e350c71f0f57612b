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


def test_run_with_the_data_directory_of_a_running_server_says_so_without_a_traceback(
    tmp_path: Path,
) -> None:
    from plateledger.settings import Settings
    from plateledger.store.embedded import holding

    NoteSigner.load_or_create(tmp_path, "retention.test.example/log")
    with holding(Settings(data_dir=tmp_path).store_dir):  # as a server holds it
        done = subprocess.run(
            [sys.executable, "-c", RUN_CLI, "run", "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=120, check=False,
        )
    assert done.returncode == 1
    assert "in use by a running server" in done.stderr and "--url" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
