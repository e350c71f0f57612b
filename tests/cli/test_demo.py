"""`plateledger demo`: a small city loaded and served, whose hot lists alert live."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plateledger.access.policy_source import PolicyAlertGate, PolicySource
from plateledger.audit import AuditLog, NoteSigner
from plateledger.catalog import open_catalog
from plateledger.demo import DEMO_PASSWORD, HOT_AMBER, HOT_STOLEN, seed_catalog, seed_hotlists
from plateledger.hotlist import ALERT_WITHHELD, HotlistRuntime
from plateledger.settings import Settings
from plateledger.sim import default_plan
from tests.conftest import _free_port, _wait_ready
from tests.factories import make_read


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _run_demo(tmp_path_factory.mktemp("demo"))


DATA_DIRS: dict[str, Path] = {}


def _run_demo(data_dir: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PLATELEDGER_INGEST_BATCH_SECONDS": "0.2"}
    with (data_dir / "demo.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "plateledger.cli.main", "demo", "--data-dir",
             str(data_dir), "--reads", "20000", "--days", "2", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}"
    DATA_DIRS[url] = data_dir
    try:
        _wait_ready(url, process, timeout=180)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert "ready" in (data_dir / "demo.log").read_text()


def _token(url: str, username: str) -> str:
    response = httpx.post(f"{url}/v1/auth/token", timeout=30,
                          json={"username": username, "password": DEMO_PASSWORD, "totp": None})
    response.raise_for_status()
    return str(response.json()["access_token"])


def _hits(url: str, token: str) -> list[dict[str, object]]:
    response = httpx.get(f"{url}/v1/hits", headers={"Authorization": f"Bearer {token}"},
                         timeout=30)
    response.raise_for_status()
    hits: list[dict[str, object]] = response.json()
    return hits


def test_the_demo_city_hot_list_raises_alerts_while_it_runs(demo: str) -> None:
    token = _token(demo, "ucpd.investigator")
    deadline = time.monotonic() + 60
    hits: list[dict[str, object]] = []
    while not hits and time.monotonic() < deadline:
        time.sleep(0.5)
        hits = _hits(demo, token)
    assert hits, "no hot-list hit reached Union City PD within a minute"
    assert hits[0]["category"] == "stolen_vehicle"
    assert hits[0]["match_kind"] == "exact"


def test_the_highway_patrol_amber_list_alerts_live(demo: str) -> None:
    # Union City shares alerts with CHP only for entries with a case number; every AMBER
    # entry has one, so a Union City camera's read of an AMBER plate reaches CHP.
    token = _token(demo, "chp.investigator")
    deadline = time.monotonic() + 60
    hits: list[dict[str, object]] = []
    while not hits and time.monotonic() < deadline:
        time.sleep(0.5)
        hits = _hits(demo, token)
    assert hits, "no AMBER hit reached the Highway Patrol within a minute"
    assert {h["category"] for h in hits} == {"amber_alert"}
    assert all(str(h["case_number"]).startswith("AMBER-2026-") for h in hits)


def _withheld(url: str) -> list[dict[str, Any]]:
    settings = Settings(data_dir=DATA_DIRS[url])
    catalog = open_catalog(settings)
    try:
        log = AuditLog(catalog.engine,
                       signer=NoteSigner.load_or_create(settings.data_dir, settings.audit_origin))
        records = log.entries(0, log.size())
    finally:
        catalog.engine.dispose()
    return [r.entry for r in records if r.entry["type"] == ALERT_WITHHELD]


def test_the_federal_immigration_list_never_matches_california_reads(demo: str) -> None:
    # The live feed has sent hot-listed plates (the previous tests waited for them); the
    # federal unit lists the same plates, and the California pack keeps every hit from it:
    # the matcher found them, none was delivered, and each is an audit entry without a plate.
    assert _hits(demo, _token(demo, "ice-ero-sf.investigator")) == []
    withheld = [e for e in _withheld(demo) if e["list_owner"] == "ice-ero-sf"]
    assert len(withheld) >= 1
    assert {(e["read_owner"], e["list_class"]) for e in withheld} == {
        ("ucpd", "immigration_violator")
    }
    assert all("ca-gov-7284.6-no-immigration-hotlist" in e["policy_ids"] for e in withheld)
    assert all(set(e) == {"type", "v", "time", "log_index", "read_owner", "list_owner",
                          "list_class", "policy_ids"} for e in withheld)  # fmt: skip


def test_the_demo_data_is_searchable(demo: str) -> None:
    token = _token(demo, "ucpd.investigator")
    plate = _hits(demo, token)[0]["plate_listed"]
    response = httpx.post(
        f"{demo}/v1/searches", headers={"Authorization": f"Bearer {token}"}, timeout=30,
        json={"kind": "exact", "params": {"plate": plate}, "purpose": "stolen_vehicle",
              "case_number": "UC-2026-0001", "reason": "stolen vehicle hot-list hit"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["total"] >= 1


def test_the_demo_lists_alert_as_the_law_allows(tmp_path: Path) -> None:
    # The demo's catalog and hot lists, with the server's alert gate, without a server: a
    # Union City read of an AMBER plate reaches the Highway Patrol (its entry has the case
    # number the agreement requires), of a stolen plate Union City, and the federal list
    # gets neither.
    settings = Settings(data_dir=tmp_path, require_totp=False)
    catalog = open_catalog(settings)
    try:
        accounts = seed_catalog(catalog, default_plan())
        ids = accounts.agency_ids
        log = AuditLog(catalog.engine,
                       signer=NoteSigner.load_or_create(tmp_path, settings.audit_origin))
        runtime = HotlistRuntime.open(
            catalog.engine, log, PolicyAlertGate(PolicySource(catalog, check_every=0)),
            agency_name={v: k for k, v in ids.items()}.__getitem__,
        )
        letters = random.Random(3)  # plates far apart: no fuzzy match between them
        hot = [("".join(letters.choices("ABCDEFHJKLMNPRTUVWXY3479", k=7)), "CA")
               for _ in range(HOT_STOLEN + HOT_AMBER)]  # fmt: skip
        seed_hotlists(runtime.store, ids, hot)
        amber, stolen = hot[HOT_STOLEN], hot[0]
        report = runtime.service.process([make_read(amber[0], owner=ids["ucpd"]),
                                          make_read(stolen[0], owner=ids["ucpd"])])
        assert [h.category for h in runtime.hits.list_hits(ids["chp"])] == ["amber_alert"]
        assert [h.category for h in runtime.hits.list_hits(ids["ucpd"])] == ["stolen_vehicle"]
        assert runtime.hits.list_hits(ids["ice-ero-sf"]) == []
        assert report.denied == 2
        withheld = [log.entry(i).entry for i in report.withheld_audit_indices]
        assert {(e["read_owner"], e["list_owner"], e["list_class"]) for e in withheld} == {
            ("ucpd", "ice-ero-sf", "immigration_violator")
        }
        runtime.close()
    finally:
        catalog.engine.dispose()


def test_a_second_run_reuses_the_data_dir(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from plateledger.cli.main import app

    args = ["demo", "--data-dir", str(tmp_path), "--reads", "2000", "--days", "1",
            "--no-serve"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "ucpd.investigator" in second.output
