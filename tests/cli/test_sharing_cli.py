"""`plateledger admin sharing`: the operator sets an agency's preset at the command line,
with its audit entry, and sees what it compiles to and whom it admits."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.cli.main import app
from plateledger.settings import Settings


def test_the_operator_sets_and_shows_a_preset(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    catalog = open_catalog(settings)
    try:
        catalog.add_agency("Reno PD", "rpd", "municipal", "NV")
        sparks = catalog.add_agency("Sparks PD", "spd", "municipal", "NV")
        catalog.add_agency("Boise PD", "bpd", "municipal", "ID")
    finally:
        catalog.close()
    where = ["--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, ["admin", "sharing", "set", "rpd", "--preset", "in_state",
                                      *where])
    assert result.exit_code == 0, result.output
    assert "of NV" in result.output and f"Sparks PD ({sparks.id})" in result.output
    assert "Boise" not in result.output

    shown = CliRunner().invoke(app, ["admin", "sharing", "show", "rpd", *where])
    assert shown.exit_code == 0, shown.output
    assert "permit" in shown.output and "preset-1" in shown.output

    catalog = open_catalog(settings)
    try:
        log = AuditLog(catalog.engine, signer=None)
        entry = log.entry(log.size() - 1).entry
    finally:
        catalog.close()
    assert entry["change"] == "agency_settings" and entry["via"] == "plateledger admin"
    assert entry["after"]["sharing_preset"] == "in_state"


def test_settings_that_do_not_compile_are_refused(tmp_path: Path) -> None:
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        catalog.add_agency("Reno PD", "rpd", "municipal", "NV")
    finally:
        catalog.close()
    where = ["--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, ["admin", "sharing", "set", "rpd", "--preset",
                                      "radius", "--radius-km", "50", *where])
    assert result.exit_code == 1
    assert "needs the agency's seat" in result.output
    result = CliRunner().invoke(app, ["admin", "sharing", "set", "rpd", "--preset",
                                      "named_states", *where])
    assert result.exit_code == 1
    assert "names no state" in result.output
