"""The server's report schedule, driven at chosen instants (no waiting): it writes each
agency's due reports once, with what the read store holds, logs each one before its files
appear, keeps a failed run's error without raising, and the app's startup starts it (or
not, with the setting off)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from plateledger.api.app import create_app
from plateledger.audit import AuditLog, NoteSigner, search_entry
from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.cli.main import app as cli
from plateledger.settings import Settings
from plateledger.store import ReadStore
from plateledger.transparency.scheduler import ReportScheduler
from tests.factories import make_read
from tests.transparency.test_activity import _empty

NEW_YEAR = datetime(2026, 1, 1, 9, tzinfo=UTC)  # 03:00 in Minneapolis, 01:00 in Portland


def _catalog(tmp_path: Path) -> tuple[Catalog, AuditLog]:
    catalog = open_catalog(Settings(data_dir=tmp_path, secret_key="k" * 32), password_hasher=FAST)
    catalog.add_agency("Portland PB", "ppb", "municipal", "OR")
    catalog.add_agency("Minneapolis PD", "mpd", "municipal", "MN")
    catalog.add_agency("Chicago PD", "cpd", "municipal", "IL")
    log = AuditLog(catalog.engine, signer=NoteSigner.load_or_create(tmp_path, "test"))
    log.create_tables()
    return catalog, log


def test_the_schedule_writes_each_due_report_once_with_the_store(
    tmp_path: Path,
    store: ReadStore,
) -> None:
    catalog, log = _catalog(tmp_path)
    mpd = catalog.agency_by_slug("mpd")
    assert mpd is not None
    store.insert_reads(
        [
            make_read(
                p,
                camera="cam-1",
                owner=mpd.id,
                now=datetime(2025, 7, 1, 12, tzinfo=UTC),
                minutes_ago=m,
                keep_days=3650,
                state="MN",
            )
            for p, m in (("ABC123", 1), ("ABC123", 60), ("XYZ789", 120))
        ]
    )
    folder = tmp_path / "out"
    try:
        scheduler = ReportScheduler(catalog, log, store, folder, clock=lambda: NEW_YEAR)
        before = log.size()
        # 03:00 UTC on January 1 is still 2025 in Minneapolis and Portland: nothing new of
        # December there yet, but November's and the third quarter's audits are due
        early = scheduler.run_once(NEW_YEAR - timedelta(hours=6))
        assert sorted(w.stem for w in early) == [
            "mpd_mn-audit_2024-01-01_2024-12-31",
            "ppb_or-monthly_2025-11-01_2025-11-30",
            "ppb_or-quarterly_2025-07-01_2025-09-30",
        ]
        written = scheduler.run_once(NEW_YEAR)
        assert sorted(w.stem for w in written) == [
            "mpd_mn-audit_2025-01-01_2025-12-31",
            "ppb_or-monthly_2025-12-01_2025-12-31",
            "ppb_or-quarterly_2025-10-01_2025-12-31",
        ]
        assert log.size() == before + 6
        body = json.loads((folder / "mpd_mn-audit_2025-01-01_2025-12-31.json").read_text())
        elements = {e["key"]: e for e in body["elements"]}
        assert (elements["plates_collected"]["source"], elements["plates_collected"]["value"]) == (
            "read store",
            2,
        )
        assert elements["active_times"]["figure"]["rows"][0][0] == "cam-1"
        assert body["period"]["timezone"] == "America/Chicago"
        entry = log.entry(body["audit_index"]).entry
        assert (entry["type"], entry["generated_by"]) == ("report_generated", "schedule")
        # idempotent: the same instant, or a later one in the same period, writes nothing
        assert scheduler.run_once(NEW_YEAR) == []
        assert scheduler.run_once(NEW_YEAR + timedelta(days=20)) == []
        assert log.size() == before + 6
        # a restarted server (a new scheduler on the same folder) writes nothing twice
        again = ReportScheduler(catalog, log, store, folder)
        assert again.run_once(NEW_YEAR + timedelta(days=1)) == []
        # a search logged after the scheduler first read the log counts in the next report
        log.append(
            search_entry(
                user="o",
                agency="ppb",
                requested_by_agency="ppb",
                purpose="homicide",
                case_number=None,
                kind="exact",
                query={"plate": "1ABC234"},
                owners_allowed=["ppb"],
                owners_denied=[],
                result_count=1,
                result_digest="d",
                policy_set_hash="h",
            )
            | {"time": "2026-01-20T10:00:00Z"}
        )
        february = scheduler.run_once(datetime(2026, 2, 1, 9, tzinfo=UTC))
        assert [w.stem for w in february] == ["ppb_or-monthly_2026-01-01_2026-01-31"]
        body = json.loads((folder / f"{february[0].stem}.json").read_text())
        assert next(e for e in body["elements"] if e["key"] == "searches")["value"] == 1
        scheduler.tick()  # the clock's time: nothing new
        assert scheduler.last_error is None and scheduler.last_written == []
    finally:
        catalog.close()
        _empty(store)


def test_a_failed_run_is_kept_not_raised_and_logs_nothing(tmp_path: Path) -> None:
    catalog, log = _catalog(tmp_path)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    try:
        scheduler = ReportScheduler(catalog, log, None, blocked, clock=lambda: NEW_YEAR)
        size = log.size()
        scheduler.tick()
        assert scheduler.last_error is not None and "FileExistsError" in scheduler.last_error
        assert log.size() == size
        blocked.unlink()  # the next look tries again, and writes
        scheduler.tick()
        assert scheduler.last_error is None and scheduler.last_written
        with pytest.raises(ValueError):
            ReportScheduler(catalog, log, None, blocked, interval=timedelta(0))
    finally:
        catalog.close()


def _first_look(scheduler: ReportScheduler) -> datetime:
    """When the scheduler's thread first looked (by its clock), waited for in short steps."""
    deadline = time.monotonic() + 30
    while scheduler.last_run is None and scheduler.last_error is None:
        assert time.monotonic() < deadline, "the schedule never looked"
        time.sleep(0.02)
    assert scheduler.last_error is None, scheduler.last_error
    assert scheduler.last_run is not None
    return scheduler.last_run


def test_the_first_look_comes_after_the_first_delay_not_an_interval(tmp_path: Path) -> None:
    catalog, log = _catalog(tmp_path)
    folder = tmp_path / "out"
    scheduler = ReportScheduler(
        catalog,
        log,
        None,
        folder,
        interval=timedelta(hours=1),
        first_delay=timedelta(milliseconds=50),
        clock=lambda: NEW_YEAR,
    )
    try:
        scheduler.start()
        assert _first_look(scheduler) == NEW_YEAR
        assert "ppb_or-monthly_2025-12-01_2025-12-31" in {w.stem for w in scheduler.last_written}
        assert (folder / "ppb_or-monthly_2025-12-01_2025-12-31.pdf").is_file()
    finally:
        scheduler.stop(timeout=60)
        catalog.close()
    with pytest.raises(ValueError):
        ReportScheduler(catalog, log, None, folder, first_delay=timedelta(seconds=-1))


def test_a_server_writes_its_due_reports_soon_after_it_starts(
    tmp_path: Path,
    store_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        store_path=store_path,
        secret_key="k" * 32,
        reports_schedule=True,
        reports_dir=tmp_path / "posted",
        reports_first_minutes=0.001,  # 60 ms; the interval stays an hour
    )
    catalog = open_catalog(settings, password_hasher=FAST)
    catalog.add_agency("Portland PB", "ppb", "municipal", "OR")
    catalog.close()
    app = create_app(settings)
    with TestClient(app):
        scheduler = app.state.reports
        assert isinstance(scheduler, ReportScheduler)
        _first_look(scheduler)
        stems = {w.stem for w in scheduler.last_written}
        log: AuditLog = app.state.audit_log
        entries = [log.entry(w.audit_index).entry for w in scheduler.last_written]
    assert {s.split("_")[1] for s in stems} == {"or-monthly", "or-quarterly"}
    assert {e["type"] for e in entries} == {"report_generated"}
    assert {p.stem for p in (tmp_path / "posted").glob("*.json")} == stems


def test_the_server_starts_the_schedule_unless_it_is_turned_off(
    tmp_path: Path,
    store_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        store_path=store_path,
        secret_key="k" * 32,
        reports_schedule=True,
        reports_dir=tmp_path / "posted",
        reports_every_minutes=30,
        reports_first_minutes=5,
    )
    app = create_app(settings)
    with TestClient(app):
        scheduler = app.state.reports
        assert isinstance(scheduler, ReportScheduler)
        assert scheduler.folder == tmp_path / "posted"
        assert scheduler.interval == timedelta(minutes=30)
        assert scheduler.first_delay == timedelta(minutes=5)
        assert scheduler.store is app.state.store
        assert scheduler._periodic._thread is not None and scheduler._periodic._thread.is_alive()
        assert scheduler.last_run is None  # the first look is five minutes after start
    assert scheduler._periodic._thread is None  # stopped on shutdown
    off = create_app(settings.model_copy(update={"reports_schedule": False}))
    with TestClient(off):
        assert off.state.reports is None


def test_the_settings_default_to_on_under_the_data_dir(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PLATELEDGER_REPORTS_SCHEDULE", raising=False)  # tests/conftest.py
    settings = Settings(data_dir=tmp_path)
    assert settings.reports_schedule is True
    assert settings.reports_first_minutes == 1.0 and settings.reports_every_minutes == 60.0
    assert settings.reports_folder == tmp_path / "reports"
    monkeypatch.setenv("PLATELEDGER_REPORTS_SCHEDULE", "false")
    monkeypatch.setenv("PLATELEDGER_REPORTS_DIR", str(tmp_path / "x"))
    from_env = Settings(data_dir=tmp_path)
    assert from_env.reports_schedule is False and from_env.reports_folder == tmp_path / "x"


def test_the_command_reads_the_store_unless_told_not_to(
    tmp_path: Path,
    store: ReadStore,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog, _ = _catalog(tmp_path)
    catalog.close()
    monkeypatch.setenv("PLATELEDGER_STORE_PATH", str(store_path))
    store.close()  # the command opens the store itself
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "reports",
            "schedule",
            "--data-dir",
            str(tmp_path),
            "--now",
            NEW_YEAR.isoformat(),
            "--out",
            str(tmp_path / "a"),
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads((tmp_path / "a" / "mpd_mn-audit_2025-01-01_2025-12-31.json").read_text())
    plates = next(e for e in body["elements"] if e["key"] == "plates_collected")
    assert plates["source"] == "read store"
    bare = runner.invoke(
        cli,
        [
            "reports",
            "schedule",
            "--data-dir",
            str(tmp_path),
            "--now",
            NEW_YEAR.isoformat(),
            "--out",
            str(tmp_path / "b"),
            "--without-store",
        ],
    )
    assert bare.exit_code == 0, bare.output
    body = json.loads((tmp_path / "b" / "mpd_mn-audit_2025-01-01_2025-12-31.json").read_text())
    plates = next(e for e in body["elements"] if e["key"] == "plates_collected")
    assert plates["source"] == "not recorded" and "not computed" in plates["value"]
