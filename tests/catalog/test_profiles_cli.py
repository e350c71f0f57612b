"""`plateledger admin profile`: an operator opts an agency in to the California strict
profile and out again; state packs are never touched by it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.cli import admin
from plateledger.cli.main import app
from plateledger.settings import Settings

runner = CliRunner()


def _said(output: str) -> str:
    """The output as one line (the console wraps long lines)."""
    return " ".join(output.split())


def _packs(data_dir: Path, slug: str) -> list[str]:
    catalog = open_catalog(Settings(data_dir=data_dir))
    try:
        agency = catalog.agency_by_slug(slug)
        assert agency is not None
        return list(agency.law_packs)
    finally:
        catalog.close()


def test_an_agency_opts_in_to_the_strict_profile_and_out_again(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    added = runner.invoke(app, ["admin", "agency", "add", "Oakland PD", "--slug", "opd",
                                "--kind", "municipal", "--state", "CA", *data])
    assert added.exit_code == 0, added.output
    opted = runner.invoke(app, ["admin", "profile", "add", "opd", "ca-strict", *data])
    assert opted.exit_code == 0, opted.output
    assert "not law" in _said(opted.output)
    assert _packs(tmp_path, "opd") == ["CA", "CA-STRICT"]
    again = runner.invoke(app, ["admin", "profile", "add", "opd", "CA-STRICT", *data])
    assert "already carries" in _said(again.output)
    assert _packs(tmp_path, "opd") == ["CA", "CA-STRICT"]
    removed = runner.invoke(app, ["admin", "profile", "remove", "opd", "CA-STRICT", *data])
    assert removed.exit_code == 0, removed.output
    assert _packs(tmp_path, "opd") == ["CA"]
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        log = AuditLog(catalog.engine, signer=None)
        assert log.size() >= 3
    finally:
        catalog.close()


def test_a_state_pack_is_not_a_profile(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    runner.invoke(app, ["admin", "agency", "add", "Oakland PD", "--slug", "opd",
                        "--kind", "municipal", "--state", "CA", *data])
    refused = runner.invoke(app, ["admin", "profile", "remove", "opd", "CA", *data])
    assert refused.exit_code != 0
    assert "`CA` is a state's law, not an opt-in profile" in _said(refused.output)
    unknown = runner.invoke(app, ["admin", "profile", "add", "opd", "ZZ-LAX", *data])
    assert unknown.exit_code != 0
    assert "no profile `ZZ-LAX`: profiles are CA-STRICT" in _said(unknown.output)
    assert _packs(tmp_path, "opd") == ["CA"]


def test_the_profiles_are_listed_with_their_status(monkeypatch: pytest.MonkeyPatch) -> None:
    # A console as wide as the table: the module's own took its width from the terminal
    # of the process that imported it (a test worker's is 80 columns), and wraps cells.
    monkeypatch.setattr(admin, "out", Console(width=200))
    listed = runner.invoke(app, ["admin", "profile", "list"])
    assert listed.exit_code == 0
    assert "CA-STRICT" in listed.output
    assert "not law (SB 274 was vetoed)" in listed.output
