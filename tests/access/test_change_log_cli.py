"""At the command line too, a change whose audit entry cannot be appended fails and is not
made, and a change that is made is logged with its values before and after."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.cli.admin import app
from plateledger.settings import Settings

runner = CliRunner()


def test_a_cli_change_the_log_cannot_record_fails_and_is_not_made(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    added = runner.invoke(app, ["agency", "add", "Fremont PD", "--slug", "fpd", "--kind",
                                "municipal", "--state", "CA", *data])
    assert added.exit_code == 0, added.output
    changed = runner.invoke(app, ["agency", "set", "fpd", "--jurisdiction", "Fremont", *data])
    assert changed.exit_code == 0, changed.output

    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        log = AuditLog(catalog.engine, signer=None)
        entry = log.entry(log.size() - 1).entry
        assert (entry["change"], entry["object"], entry["via"]) == (
            "agency_settings", "agency", "plateledger admin")
        assert entry["user"].startswith("cli:") and "agency_id" not in entry
        assert (entry["before"], entry["after"]) == ({"jurisdiction": ""},
                                                     {"jurisdiction": "Fremont"})
        with catalog.engine.begin() as conn:
            conn.execute(text("DROP TABLE audit_entries"))
    finally:
        catalog.close()

    refused = runner.invoke(app, ["agency", "set", "fpd", "--jurisdiction", "Newark", *data])
    assert refused.exit_code == 1
    assert "nothing was changed" in refused.output
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        agency = catalog.agency_by_slug("fpd")
        assert agency is not None and agency.jurisdiction == "Fremont"
    finally:
        catalog.close()
