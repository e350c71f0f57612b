"""`plateledger demo`: a small city loaded and served, whose hot lists alert live."""

from __future__ import annotations

import json
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
from plateledger.cli.demo import demo_settings
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


TOKENS: dict[tuple[str, str], str] = {}


def _code(url: str, username: str) -> str:
    """The current one-time code of a demo login, as `plateledger demo-code` prints it."""
    from typer.testing import CliRunner

    from plateledger.cli.main import app

    result = CliRunner().invoke(app, ["demo-code", username, "--data-dir", str(DATA_DIRS[url])])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _token(url: str, username: str) -> str:
    """A token of ``username``, logged in once with its second factor (a one-time code is
    refused the second time)."""
    if (url, username) not in TOKENS:
        accounts = json.loads((DATA_DIRS[url] / "demo-accounts.json").read_text())
        code = _code(url, username) if username in accounts["totp_secrets"] else None
        response = httpx.post(f"{url}/v1/auth/token", timeout=30, json={
            "username": username, "password": DEMO_PASSWORD, "totp": code})
        response.raise_for_status()
        TOKENS[url, username] = str(response.json()["access_token"])
    return TOKENS[url, username]


def _search(url: str, username: str, kind: str, plate: str, **extra: Any) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/searches", headers={"Authorization": f"Bearer {_token(url, username)}"},
        timeout=30, json={"kind": kind, "params": {"plate": plate}, "purpose": "stolen_vehicle",
                          "offense_type": "240",
                          "case_number": "UC-2026-0042", "reason": "stolen white pickup",
                          **extra})


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
    # each is appended at the end of its period (a second here), not with its hit
    deadline = time.monotonic() + 30
    withheld = [e for e in _withheld(demo) if e["list_owner"] == "ice-ero-sf"]
    while not withheld and time.monotonic() < deadline:
        time.sleep(0.5)
        withheld = [e for e in _withheld(demo) if e["list_owner"] == "ice-ero-sf"]
    assert len(withheld) >= 1
    assert {(e["read_owner"], e["list_class"]) for e in withheld} == {
        ("ucpd", "immigration_violator")
    }
    assert all("ca-gov-7284.6-no-immigration-hotlist" in e["policy_ids"] for e in withheld)
    assert all(set(e) == {"type", "v", "time", "log_index", "read_owner", "list_owner",
                          "list_class", "policy_ids", "hit_id"} for e in withheld)  # fmt: skip


def test_the_demo_data_is_searchable(demo: str) -> None:
    token = _token(demo, "ucpd.investigator")
    plate = _hits(demo, token)[0]["plate_listed"]
    response = httpx.post(
        f"{demo}/v1/searches", headers={"Authorization": f"Bearer {token}"}, timeout=30,
        json={"kind": "exact", "params": {"plate": plate}, "purpose": "stolen_vehicle",
              "offense_type": "240",
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
        withheld = report.withheld_entries
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
    # the logins the tour uses beyond those listed by name (README.md, the demo)
    assert "SLUG.supervisor" in second.output and "SLUG.admin" in second.output


def test_a_demo_admin_logs_in_without_a_one_time_code(demo: str) -> None:
    """As the demo's panel and README.md say: admins reach no reads, so no second factor."""
    response = httpx.post(f"{demo}/v1/auth/token", timeout=30, json={
        "username": "ucpd.admin", "password": DEMO_PASSWORD, "totp": None})
    assert response.status_code == 200, response.text


def test_every_demo_login_that_reaches_reads_or_audit_needs_its_second_factor(
    demo: str,
) -> None:
    for username in ("ucpd.investigator", "ucpd.auditor", "ice-ero-sf.investigator"):
        response = httpx.post(f"{demo}/v1/auth/token", timeout=30, json={
            "username": username, "password": DEMO_PASSWORD, "totp": None})
        assert response.status_code == 401, response.text


def test_the_federal_unit_learns_no_plate_from_a_partial_or_fuzzy_search(demo: str) -> None:
    plate = str(_hits(demo, _token(demo, "ucpd.investigator"))[0]["plate_listed"])
    for kind, asked in (("wildcard", plate[:3] + "*"), ("fuzzy", plate)):
        local = _search(demo, "ucpd.investigator", kind, asked).json()
        assert plate in local["candidates"]
        federal = _search(demo, "ice-ero-sf.investigator", kind, asked).json()
        assert (federal["results"], federal["candidates"], federal["total"]) == ([], [], 0)
        assert not federal["truncated"]


def test_auditors_and_admins_cannot_search(demo: str) -> None:
    for username in ("ucpd.auditor", "ucpd.admin"):
        response = _search(demo, username, "exact", "7ABC123")
        body = response.json()
        assert body.get("results", []) == [] and body.get("total", 0) == 0
        assert all(not o["allowed"] for o in body.get("owners", []))
        assert "role-search" in response.text  # the role pack's rule says why


def test_the_federal_auditor_reads_nothing_of_a_california_officers_search(demo: str) -> None:
    secret_case = "UC-2026-SECRET-77"
    _search(demo, "ucpd.investigator", "exact", "7QQQ777", case_number=secret_case,
            reason="a reason only Union City may read")
    headers = {"Authorization": f"Bearer {_token(demo, 'ice-ero-sf.auditor')}"}
    page = httpx.get(f"{demo}/v1/audit/entries", params={"full": 1, "limit": 1000,
                     "start": 0}, headers=headers, timeout=30)
    assert page.status_code == 200, page.text
    for needle in (secret_case, "7QQQ777", "a reason only Union City may read"):
        assert needle not in page.text


def test_a_burst_of_denied_searches_raises_an_alarm_a_supervisor_sees(demo: str) -> None:
    for _ in range(12):
        _search(demo, "ice-ero-sf.investigator", "exact", "7ABC123")
    response = httpx.get(f"{demo}/v1/alarms", timeout=30, headers={
        "Authorization": f"Bearer {_token(demo, 'ice-ero-sf.supervisor')}"})
    assert response.status_code == 200, response.text
    alarms = response.json()["alarms"]
    assert any(a["kind"] in ("denial_burst", "search_throttled")
               and a["user"] == "ice-ero-sf.investigator" for a in alarms)


def test_the_transparency_figures_count_the_withheld_hits(demo: str) -> None:
    counts = httpx.get(f"{demo}/v1/audit/counts", timeout=30).json()
    assert counts["withheld_hits_by_owner"].get("ucpd", 0) >= 1


def test_alerts_arrive_on_the_event_stream(demo: str) -> None:
    """The stream a dispatch console follows: ``event: alert`` lines with the hit's id and
    the alert as JSON, as the live feed's hot-listed plates come by (every 15 s)."""
    headers = {"Authorization": f"Bearer {_token(demo, 'ucpd.investigator')}"}
    seen: list[str] = []
    with httpx.stream("GET", f"{demo}/v1/alerts/stream", headers=headers,
                      timeout=httpx.Timeout(90, connect=10)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        deadline = time.monotonic() + 75
        for line in response.iter_lines():
            seen.append(line)
            if line.startswith("data: ") or time.monotonic() > deadline:
                break
    assert seen[0] == ": connected"
    assert "event: alert" in seen
    alert = json.loads(seen[-1].removeprefix("data: "))
    assert alert["list_owner_id"] and alert["plate_listed"]


def test_the_demo_publishes_withheld_hits_every_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: the demo appends each withheld hit with the others of its minute (a
    deployment, daily); a period the environment sets is kept."""
    monkeypatch.delenv("PLATELEDGER_WITHHELD_PUBLISH_SECONDS")
    assert Settings(data_dir=tmp_path).withheld_publish_seconds == 86_400
    assert demo_settings(tmp_path, "127.0.0.1", 8080).withheld_publish_seconds == 60
    monkeypatch.setenv("PLATELEDGER_WITHHELD_PUBLISH_SECONDS", "5")
    assert demo_settings(tmp_path, "127.0.0.1", 8080).withheld_publish_seconds == 5

