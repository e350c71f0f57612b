"""Exports through the real server: their own policy action, logged as `export` entries
before the file is sent, and never carrying a denied owner's reads."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from plateledger.catalog import open_catalog
from plateledger.settings import Settings
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def seen(live_server: LiveServer) -> dict[str, Any]:
    """One plate read by Union City (ucpd), Fremont (fpd) and Reno PD (rpd) cameras; Reno
    shares its data with Hayward (hpd) for searches only."""
    settings = Settings(data_dir=live_server.data_dir, require_totp=False)
    catalog = open_catalog(settings)
    try:
        ids = {s: catalog.agency_by_slug(s).id for s in ("fpd", "rpd", "hpd")}  # type: ignore[union-attr]
        keys = {s: catalog.issue_api_key(ids[s], label="test") for s in ("fpd", "rpd")}
        cameras = {s: catalog.cameras(owner_id=ids[s])[0].camera_id for s in ("fpd", "rpd")}
        catalog.add_agreement(ids["rpd"], ids["hpd"], actions=("search",),
                              purposes=("stolen_vehicle",), created_by="rpd.admin")
    finally:
        catalog.close()
    plate = "8E" + uuid.uuid4().hex[:4].upper().replace("0", "A").replace("O", "B")
    now = int(time.time() * 1000)
    posts = [(live_server.camera_key, live_server.camera_id), (keys["fpd"], cameras["fpd"]),
             (keys["rpd"], cameras["rpd"])]
    for key, camera in posts:
        body = [{"camera_id": camera, "ts": now - 60_000, "plate": plate, "confidence": 0.9,
                 "region": "CA"}]
        response = httpx.post(f"{live_server.url}/v1/reads", json=body,
                              headers={"X-API-Key": key}, timeout=60)
        assert response.status_code == 200, response.text
    return {"plate": plate, **ids}


def request(server: LiveServer, user: str, url: str, **body: Any) -> httpx.Response:
    payload = {"kind": "exact", "params": {}, "purpose": "stolen_vehicle", "offense_type": "240",
               "case_number": "UC-2026-0042", "reason": "stolen white pickup"} | body
    return httpx.post(f"{server.url}{url}", json=payload, timeout=60,
                      headers={"Authorization": f"Bearer {server.token(user)}"})


def audit_entry(server: LiveServer, index: int) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/v1/audit/entries",
                         params={"start": index, "limit": 1, "full": 1},
                         headers={"Authorization": f"Bearer {server.token('ucpd.auditor')}"},
                         timeout=30)
    assert response.status_code == 200, response.text
    text = json.dumps(response.json())
    assert '"export"' in text
    return dict(response.json())


def test_an_export_is_a_csv_of_the_allowed_reads_and_is_logged(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    response = request(live_server, "ucpd.investigator", "/v1/exports",
                       params={"plate": seen["plate"]})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(int(r["owner_id"]) for r in rows) == [1, seen["fpd"]]
    assert {r["plate"] for r in rows} == {seen["plate"]}
    assert response.headers["x-exported-count"] == "2"
    index = int(response.headers["x-audit-index"])
    assert f"plateledger-export-{index}.csv" in response.headers["content-disposition"]
    entry = audit_entry(live_server, index)
    assert seen["plate"] in json.dumps(entry)


def test_a_partner_that_may_search_but_not_export_gets_no_file_of_its_data(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    searched = request(live_server, "hpd.investigator", "/v1/searches",
                       params={"plate": seen["plate"]}).json()
    assert seen["rpd"] in {r["owner_id"] for r in searched["results"]}
    response = request(live_server, "hpd.investigator", "/v1/exports",
                       params={"plate": seen["plate"]}, format="ndjson")
    assert response.status_code == 200, response.text
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert seen["rpd"] not in {r["owner_id"] for r in rows}
    assert {r["owner_id"] for r in rows} == {1, seen["fpd"]}
    assert f"{seen['rpd']}:" in response.headers["x-owners-denied"]


def test_a_federal_unit_exports_nothing_of_california_data(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    response = request(live_server, "ice-ero-sf.investigator", "/v1/exports",
                       params={"plate": seen["plate"]})
    assert response.status_code == 200
    assert list(csv.DictReader(io.StringIO(response.text))) == []
    assert "ca-civ-1798.90.55b-no-federal" in response.headers["x-owners-denied"]


@pytest.mark.parametrize(
    "body",
    [
        {"format": "xlsx", "params": {"plate": "7ABC123"}},
        {"max_rows": 0, "params": {"plate": "7ABC123"}},
        {"max_rows": 10_000_000, "params": {"plate": "7ABC123"}},
        {"params": {}},
        {"purpose": "curiosity", "params": {"plate": "7ABC123"}},
    ],
)
def test_bad_exports_get_a_4xx_with_a_message(
    live_server: LiveServer, body: dict[str, Any]
) -> None:
    response = request(live_server, "ucpd.investigator", "/v1/exports", **body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["message"]


def test_the_cli_writes_an_export_file_and_names_the_denials(
    live_server: LiveServer, seen: dict[str, Any], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from plateledger.cli.main import app

    target = tmp_path / "reads.csv"
    result = CliRunner().invoke(app, [
        "search", seen["plate"], "--purpose", "stolen_vehicle", "--offense", "240",
        "--case", "UC-2026-0042",
        "--reason", "stolen white pickup", "--export", str(target), "--url", live_server.url,
        "--token", live_server.token("hpd.investigator"),
    ])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {int(r["owner_id"]) for r in rows} == {1, seen["fpd"]}
    assert "2 of 2 reads written" in result.output
    assert f"owner {seen['rpd']} denied" in result.output


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_defused(
    live_server: LiveServer,
) -> None:
    plate = "9F" + uuid.uuid4().hex[:4].upper().replace("0", "A").replace("O", "B")
    body = [{"camera_id": live_server.camera_id, "ts": int(time.time() * 1000) - 30_000,
             "plate": plate, "confidence": 0.9, "vehicle": {"make": "=HYPERLINK(\"x\")"}}]
    posted = httpx.post(f"{live_server.url}/v1/reads", json=body, timeout=60,
                        headers={"X-API-Key": live_server.camera_key})
    assert posted.status_code == 200, posted.text
    response = request(live_server, "ucpd.investigator", "/v1/exports", params={"plate": plate})
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["vehicle_make"] == "'=HYPERLINK(\"x\")"
    assert row["lon"] == "" or float(row["lon"]) < 0  # numbers are left alone
