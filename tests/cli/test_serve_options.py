"""`plateledger serve`: its options reach the server's settings, and a bad value is a clear
error before anything starts (no traceback)."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plateledger.cli.main import app
from plateledger.settings import Settings
from tests.conftest import _free_port, _wait_ready


def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path), *args],
                                env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.output


@pytest.mark.parametrize("via", ["option", "environment"])
def test_a_public_url_that_is_not_http_is_refused_by_the_settings_it_reaches(
    tmp_path: Path, via: str
) -> None:
    """`--public-url` (or ``PLATELEDGER_PUBLIC_URL``) is this node's URL as partners
    register it; the message is the settings' own, so the value reached them."""
    if via == "option":
        code, output = serve(tmp_path, "--public-url", "ftp://node.example")
    else:
        code, output = serve(tmp_path, env={"PLATELEDGER_PUBLIC_URL": "ftp://node.example"})
    assert code == 2, output
    assert "public_url `ftp://node.example` is not http(s)://host[:port]" in output
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == []  # nothing started: no catalog, store or log


def test_the_settings_validator_gives_that_message_and_keeps_a_good_url() -> None:
    with pytest.raises(ValueError, match=r"is not http\(s\)://host\[:port\]"):
        Settings(public_url="ftp://node.example")
    assert Settings(public_url="https://node.example:9443/").node_url.startswith(
        "https://node.example:9443")


@pytest.mark.parametrize("port", ["0", "70000", "99999999"])
def test_a_port_outside_1_to_65535_is_refused_before_anything_starts(
    tmp_path: Path, port: str
) -> None:
    code, output = serve(tmp_path, "--port", port)
    assert code == 2 and "Invalid value for '--port'" in output, output
    assert "Traceback" not in output and "OverflowError" not in output


def test_the_server_raises_its_open_files_limit_to_the_most_it_may_have(
    tmp_path: Path,
) -> None:
    """Started under a soft limit of 256 open files (many services start at 1,024), the
    server runs with its hard limit. chDB keeps three descriptors open for each of its
    worker threads, and keeps idle threads: a test process that had run many tests held
    over a thousand. chDB raises the limit itself when it is imported (as the ClickHouse
    server does at start); this holds it to that."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 256:
        pytest.skip("the hard limit here leaves nothing to raise")
    port = _free_port()

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

    with (tmp_path / "server.log").open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "plateledger.cli.main", "serve", "--data-dir",
             str(tmp_path), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=low_limit,
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
        limits = Path(f"/proc/{server.pid}/limits").read_text()
        found = re.search(r"^Max open files\s+(\d+)\s+(\d+)", limits, re.MULTILINE)
        assert found, limits
        assert (int(found[1]), int(found[2])) == (hard, hard)
    finally:
        server.terminate()
        server.wait(timeout=60)
