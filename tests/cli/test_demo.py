"""`plateledger demo`: a small city loaded and served, whose hot lists alert live."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plateledger.catalog import open_catalog
from plateledger.demo import DEMO_PASSWORD
from plateledger.hotlist.hits import HitStore
from plateledger.settings import Settings
from tests.conftest import _free_port, _wait_ready


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


def test_the_federal_immigration_list_never_matches_california_reads(demo: str) -> None:
    # The live feed has sent hot-listed plates (the previous test waited for one); the
    # federal unit lists the same plates, and the California pack keeps every hit from it:
    # the matcher found them (the withheld hits are counted) and none was delivered.
    assert _hits(demo, _token(demo, "ice-ero-sf.investigator")) == []
    catalog = open_catalog(Settings(data_dir=DATA_DIRS[demo]))
    try:
        federal = next(a.id for a in catalog.agencies() if a.slug == "ice-ero-sf")
        withheld = HitStore(catalog.engine).denials(federal)
    finally:
        catalog.engine.dispose()
    assert sum(d.count for d in withheld) >= 1
    assert all(d.category == "immigration_violator" for d in withheld)
    assert any(i.startswith("ca-") for d in withheld for i in d.policy_ids)


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
