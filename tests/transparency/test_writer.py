"""The report schedule: at a chosen instant it writes exactly the reports due, logs each
generation before the files appear, and writes nothing twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

from plateledger.audit import AuditLog, NoteSigner, search_entry
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.cli.main import app
from plateledger.settings import Settings
from plateledger.transparency.writer import write_due


def _install(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path, secret_key="k" * 32)
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.add_agency("Portland PB", "ppb", "municipal", "OR")
        catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        catalog.add_agency("Chicago PD", "cpd", "municipal", "IL")
        log = AuditLog(catalog.engine, signer=NoteSigner.load_or_create(tmp_path, "test"))
        log.create_tables()
        for day in ("2026-02-03", "2026-02-27", "2026-03-01"):
            e = search_entry(user="o", agency="ppb", requested_by_agency="ppb",
                             purpose="homicide", case_number=None, kind="exact",
                             query={"plate": "1ABC234"}, owners_allowed=["ppb"],
                             owners_denied=[], result_count=1, result_digest="d",
                             policy_set_hash="h")
            log.append(e | {"time": f"{day}T10:00:00Z"})
    finally:
        catalog.close()
    return settings


def test_the_due_reports_are_written_once_and_logged(tmp_path: Path) -> None:
    settings = _install(tmp_path)
    folder = tmp_path / "reports"
    catalog = open_catalog(settings)
    try:
        log = AuditLog(catalog.engine, signer=None)
        before = log.size()
        # 06:00 UTC on March 1 is still February 28 in Portland: February is not over
        early = write_due(log, catalog, tmp_path / "early", datetime(2026, 3, 1, 6, tzinfo=UTC))
        assert {w.stem for w in early if w.code == "or-monthly"} == {
            "ppb_or-monthly_2026-01-01_2026-01-31"}
        before = log.size()
        now = datetime(2026, 3, 1, 9, tzinfo=UTC)  # 01:00 in Portland
        written = write_due(log, catalog, folder, now)
        assert sorted((w.agency, w.code) for w in written) == [
            ("ppb", "or-monthly"), ("ppb", "or-quarterly"), ("ucpd", "ca-policy")]
        monthly = next(w for w in written if w.code == "or-monthly")
        assert monthly.stem == "ppb_or-monthly_2026-02-01_2026-02-28"
        assert monthly.deadline == "2026-03-02"
        for suffix in (".html", ".csv", ".json", ".pdf"):
            assert (folder / f"{monthly.stem}{suffix}").is_file()
        body = json.loads((folder / f"{monthly.stem}.json").read_text())
        searches = next(e for e in body["elements"] if e["key"] == "searches")
        assert searches["value"] == 2  # February's two searches, not March's
        assert b"Oregon monthly audit" in (folder / f"{monthly.stem}.pdf").read_bytes()
        entry = log.entry(body["audit_index"]).entry
        assert entry["type"] == "report_generated"
        assert (entry["report"], entry["owner_agency"]) == ("or-monthly", "ppb")
        assert entry["statute"] == "Or. SB 1516 (2026)"
        assert log.size() == before + 3
        assert write_due(log, catalog, folder, datetime(2026, 3, 2, tzinfo=UTC)) == []
        assert write_due(log, catalog, folder, datetime(2026, 4, 1, 6, tzinfo=UTC)) == []
        april = write_due(log, catalog, folder, datetime(2026, 4, 1, 8, tzinfo=UTC))
        assert sorted(w.code for w in april) == ["or-monthly", "or-quarterly"]
    finally:
        catalog.close()


def test_the_command_writes_the_due_reports(tmp_path: Path) -> None:
    _install(tmp_path)
    result = CliRunner().invoke(app, ["reports", "schedule", "--data-dir", str(tmp_path),
                                      "--now", "2026-03-01T09:00:00+00:00",
                                      "--without-store"])
    assert result.exit_code == 0, result.output
    assert {w["code"] for w in json.loads(result.output)} == {"or-monthly", "or-quarterly",
                                                              "ca-policy"}
    bad = CliRunner().invoke(app, ["reports", "schedule", "--data-dir", str(tmp_path),
                                   "--now", "tomorrow"])
    assert bad.exit_code == 2


def test_no_entry_no_report(tmp_path: Path) -> None:
    settings = _install(tmp_path)
    folder = tmp_path / "reports"
    catalog = open_catalog(settings)
    try:
        broken = AuditLog(create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}"),
                          signer=None)
        with pytest.raises(Exception):  # noqa: B017  (whatever the database raises)
            write_due(broken, catalog, folder, datetime(2026, 3, 1, tzinfo=UTC))
        assert list(folder.iterdir()) == []
    finally:
        catalog.close()
