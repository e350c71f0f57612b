"""`plateledger search timeline|stakeout|convoy|locate|attributes` against a running
server: the same required parts as the API, tables, JSON and CSV, and pages."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.cli.main import app
from plateledger.settings import Settings
from tests.conftest import LiveServer

NOW = datetime.now(UTC).replace(microsecond=0)
SINCE, UNTIL = (NOW - timedelta(hours=3)).isoformat(), (NOW + timedelta(minutes=1)).isoformat()
WHY = ["--purpose", "stolen_vehicle", "--reason", "grey van seen leaving the lot",
       "--case", "UC-2026-0700", "--offense", "240"]


def _plate(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:4].upper().replace("0", "A").replace("O", "B")


@pytest.fixture(scope="module")
def trip(live_server: LiveServer) -> dict[str, Any]:
    """Target and follower pass two Union City cameras half a minute apart; another
    vehicle passes the first camera only, long after."""
    catalog = open_catalog(Settings(data_dir=live_server.data_dir, require_totp=False))
    try:
        ucpd = catalog.agency_by_slug("ucpd")
        assert ucpd is not None
        key = catalog.issue_api_key(ucpd.id, label="cli-search-test")
        cams = [c for c in catalog.cameras(owner_id=ucpd.id) if c.lat is not None][:2]
    finally:
        catalog.close()
    target, follower, later = _plate("7T"), _plate("8F"), _plate("5L")
    minutes = {target: (60.0, 50.0), follower: (59.5, 49.5), later: (20.0, None)}
    body = []
    for plate, (at_first, at_second) in minutes.items():
        for cam, ago in zip(cams, (at_first, at_second), strict=True):
            if ago is not None:
                body.append({"camera_id": cam.camera_id, "plate": plate, "confidence": 0.9,
                             "region": "CA", "lat": cam.lat, "lon": cam.lon,
                             "vehicle": {"color": "grey", "make": "Ford", "type": "van"},
                             "ts": int((NOW - timedelta(minutes=ago)).timestamp() * 1000)})
    response = httpx.post(f"{live_server.url}/v1/reads", json=body,
                          headers={"X-API-Key": key}, timeout=60)
    assert response.status_code == 200, response.text
    trip = {"target": target, "follower": follower, "later": later,
            "cameras": [(c.camera_id, c.lat, c.lon) for c in cams],
            "token": live_server.token("ucpd.investigator"), "url": live_server.url}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the ingest batcher writes within a second
        page = json.loads(run(trip, "timeline", target, "--json").output)
        if page["total"] == 2:
            break
        time.sleep(0.3)
    return trip


def run(trip: dict[str, Any], *args: str, why: list[str] = WHY) -> Any:
    return CliRunner().invoke(app, ["search", *args, *why, "--url", trip["url"],
                                    "--token", trip["token"]])


def test_a_timeline_as_a_table_json_and_csv(trip: dict[str, Any]) -> None:
    first, second = (c[0] for c in trip["cameras"])
    shown = run(trip, "timeline", trip["target"], "--since", SINCE, "--until", UNTIL)
    assert shown.exit_code == 0, shown.output
    assert f"timeline of {trip['target']}: 2 reads" in shown.output
    assert "path: 2 stops" in shown.output and "logged as audit entry" in shown.output
    page = json.loads(run(trip, "timeline", trip["target"], "--json").output)
    assert [s["camera_id"] for s in page["path"]] == [first, second]
    assert page["search_id"] and page["audit_index"] is not None
    rows = list(csv.DictReader(io.StringIO(run(trip, "timeline", trip["target"],
                                               "--csv").output)))
    assert [r["camera_id"] for r in rows] == [first, second]
    assert {r["plate"] for r in rows} == {trip["target"]}
    paged = json.loads(run(trip, "timeline", trip["target"], "--json", "--limit", "1",
                           "--offset", "1").output)
    assert [r["camera_id"] for r in paged["results"]] == [second] and paged["total"] == 2


def test_a_convoy_names_the_follower_and_its_reads_at_the_shared_places(
    trip: dict[str, Any],
) -> None:
    args = ["convoy", trip["target"], "--since", SINCE, "--until", UNTIL,
            "--window-seconds", "60"]
    shown = run(trip, *args)
    assert shown.exit_code == 0, shown.output
    assert trip["follower"] in shown.output and trip["later"] not in shown.output
    companions = list(csv.DictReader(io.StringIO(run(trip, *args, "--csv").output)))
    assert [(c["plate"], c["places"]) for c in companions] == [(trip["follower"], "2")]
    reads = list(csv.DictReader(io.StringIO(run(trip, *args, "--csv", "--rows").output)))
    assert [(r["plate"], r["camera_id"]) for r in reads] == [
        (trip["follower"], c[0]) for c in trip["cameras"]]
    past = json.loads(run(trip, *args, "--json", "--offset", "1").output)
    assert past["companions"] == [] and past["results"] == [] and past["total"] == 1


def test_a_convoy_without_its_window_is_refused_before_any_request(
    trip: dict[str, Any],
) -> None:
    result = run(trip, "convoy", trip["target"])
    assert result.exit_code == 2 and "--since" in result.output


def test_a_stakeout_of_two_circles(trip: dict[str, Any]) -> None:
    window = f"{(NOW - timedelta(hours=2)).isoformat()},{NOW.isoformat()}"
    circles = [arg for _, lat, lon in trip["cameras"]
               for arg in ("--circle", f"{lat},{lon},50,{window}")]
    result = run(trip, "stakeout", *circles, "--csv")
    assert result.exit_code == 0, result.output
    found = {r["plate"]: r["areas_matched"] for r in csv.DictReader(io.StringIO(result.output))}
    assert found.get(trip["target"]) == "0 1" and found.get(trip["follower"]) == "0 1"
    assert trip["later"] not in found
    table = run(trip, "stakeout", *circles)
    assert table.exit_code == 0 and "in at least 2 of 2 areas" in " ".join(table.output.split())
    bad = run(trip, "stakeout", "--circle", "37.5,-122.0,50")
    assert bad.exit_code == 2 and "SINCE,UNTIL" in bad.output


def test_attributes_by_colour_and_partial_plate(trip: dict[str, Any]) -> None:
    result = run(trip, "attributes", "--color", "grey", "--plate", trip["later"][:2] + "*",
                 "--since", SINCE, "--until", UNTIL, "--json")
    assert result.exit_code == 0, result.output
    assert {r["plate"] for r in json.loads(result.output)["results"]} >= {trip["later"]}
    assert trip["target"] not in result.output


def test_locate_needs_its_legal_basis(trip: dict[str, Any]) -> None:
    none = run(trip, "locate", trip["target"], "--court", "Alameda County Superior Court")
    assert none.exit_code == 2 and "--warrant" in none.output
    result = run(trip, "locate", trip["target"], "--warrant", "W-2026-0042",
                 "--court", "Alameda County Superior Court", "--json")
    assert result.exit_code == 0, result.output
    pattern = json.loads(result.output)["pattern"]
    assert sum(pattern["by_hour"]) == 2
    assert [p["camera_id"] for p in pattern["places"]] == sorted(
        c[0] for c in trip["cameras"])
    places = run(trip, "locate", trip["target"], "--court-order", "CO-7",
                 "--court", "Alameda County Superior Court", "--csv")
    assert places.exit_code == 0 and places.output.startswith("camera_id,lat,lon,reads")


def test_a_timeline_or_convoy_may_name_its_warrant_and_the_log_records_it(
    trip: dict[str, Any], live_server: LiveServer
) -> None:
    """Minnesota's pack asks a timeline or convoy for a warrant to name it: the options
    send it, half of one is refused before anything is sent, and the entry records it."""
    half = run(trip, "timeline", trip["target"], "--warrant", "W-2026-0042")
    assert half.exit_code == 2 and "--court" in half.output
    court = ["--court", "Alameda County Superior Court"]
    for kind, extra in (("timeline", []), ("convoy", ["--since", SINCE, "--until", UNTIL])):
        named = run(trip, kind, trip["target"], *extra, "--warrant", "W-2026-0042", *court,
                    "--json")
        assert named.exit_code == 0, named.output
        index = json.loads(named.output)["audit_index"]
        catalog = open_catalog(Settings(data_dir=live_server.data_dir, require_totp=False))
        try:
            entry = AuditLog(catalog.engine, signer=None).entry(index).entry
        finally:
            catalog.close()
        assert entry["query"]["legal_basis"] == {
            "kind": "warrant", "number": "W-2026-0042", "court": court[1]}


def test_the_required_parts_are_required(trip: dict[str, Any]) -> None:
    no_offense = [a for a in WHY if a not in ("--offense", "240")]
    result = run(trip, "timeline", trip["target"], why=no_offense)
    assert result.exit_code == 2 and "--offense" in result.output
    unknown = [*no_offense, "--offense", "999"]
    refused = run(trip, "timeline", trip["target"], why=unknown)
    assert refused.exit_code == 1 and "error 422" in refused.output


def test_a_plate_search_still_runs_as_before(trip: dict[str, Any]) -> None:
    result = run(trip, trip["target"], "--kind", "exact", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 2


def test_a_plate_search_table_names_owners_and_the_agencies_that_denied(
    trip: dict[str, Any]
) -> None:
    """The table's owner column and the lines under it name agencies by slug and name:
    Union City's reads as `ucpd`, and Reno PD (which shares nothing with Union City) as
    denied with its rule ids."""
    result = CliRunner().invoke(app, [
        "search", trip["target"], "--kind", "exact", *WHY, "--url", trip["url"],
        "--token", trip["token"]], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if trip["target"] in line]
    assert len(rows) == 2 and all("│ ucpd " in row for row in rows), result.output
    assert "(rpd) denied: default-deny" in result.output
    assert "owner 6 denied" not in result.output


def test_a_plate_search_prints_how_to_ask_its_next_page_as_a_page_of_it(
    trip: dict[str, Any]
) -> None:
    """A table of one page ends with the options of the next, its page token among them;
    the next page asked with them is logged as a page of the first search."""
    first = CliRunner().invoke(app, [
        "search", trip["target"], "--kind", "exact", "--limit", "1", *WHY,
        "--url", trip["url"], "--token", trip["token"]], env={"COLUMNS": "400"})
    assert first.exit_code == 0, first.output
    [line] = [x for x in first.output.splitlines() if x.startswith("next page:")]
    assert "--offset 1 --page-token " in line
    page_token = line.split("--page-token ")[1].strip()
    second = CliRunner().invoke(app, [
        "search", trip["target"], "--kind", "exact", "--limit", "1", "--offset", "1", *WHY,
        "--page-token", page_token, "--url", trip["url"], "--token", trip["token"]],
        env={"COLUMNS": "400"})
    assert second.exit_code == 0, second.output
    assert ", a page of search " in second.output
    assert "next page:" not in second.output  # two reads: the second page is the last
