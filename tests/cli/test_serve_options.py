"""`plateledger serve`: its options reach the server's settings, and a bad value is a clear
error before anything starts (no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from plateledger.cli.main import app
from plateledger.settings import Settings


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
