"""The command line's saved logins: a command aimed at a server it is not logged in to
says so, and names the server it is logged in to (the tour logs in to the demo's port)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from plateledger.cli.client import load_token, save_token


def test_a_command_aimed_elsewhere_names_the_server_logged_in_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("PLATELEDGER_TOKEN", raising=False)
    save_token("http://127.0.0.1:8191/", "token-of-8191")
    assert load_token("http://127.0.0.1:8191", None) == "token-of-8191"
    with pytest.raises(typer.Exit):
        load_token("http://127.0.0.1:8080", None)
    said = capsys.readouterr().err
    assert "not logged in to http://127.0.0.1:8080" in said
    assert "--url http://127.0.0.1:8191" in said


def test_with_no_login_at_all_it_says_how_to_log_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("PLATELEDGER_TOKEN", raising=False)
    with pytest.raises(typer.Exit):
        load_token("http://127.0.0.1:8080", None)
    said = capsys.readouterr().err
    assert "plateledger login --url http://127.0.0.1:8080" in said
    assert "logged in to" not in said.replace("not logged in to", "")
