"""Investigative search kinds over the API: decided per owner, logged, only allowed reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import totp_code
from tests.api.conftest import Seed, login
from tests.factories import make_read

NOW = datetime.now(UTC).replace(microsecond=0)
BASE = {"purpose": "stolen_vehicle", "case_number": "UC-2026-0600", "offense_type": "240",
        "reason": "stolen silver van seen leaving the lot"}
WINDOW = {"since": (NOW - timedelta(days=1)).isoformat(), "until": NOW.isoformat()}


@pytest.fixture
def investigator(client: TestClient, seed: Seed) -> dict[str, str]:
    r = make_read
    client.app.state.store.insert_reads([  # type: ignore[attr-defined]
        r("7TGT001", camera="cam-a", owner=seed.ucpd_id, minutes_ago=60, now=NOW,
          lat=37.1, lon=-122.1),
        r("7TGT001", camera="cam-b", owner=seed.ucpd_id, minutes_ago=50, now=NOW,
          lat=37.2, lon=-122.2),
        r("8FOL002", camera="cam-a", owner=seed.ucpd_id, minutes_ago=59.5, now=NOW,
          lat=37.1, lon=-122.1, vehicle={"make": "Ford", "color": "silver"}),
        r("8FOL002", camera="cam-b", owner=seed.ucpd_id, minutes_ago=49.5, now=NOW,
          lat=37.2, lon=-122.2, vehicle={"make": "Ford", "color": "silver"}),
        r("7TGT001", camera="cam-f", owner=seed.fpd_id, minutes_ago=40, now=NOW,
          lat=37.3, lon=-122.3),
        r("9FPD009", camera="cam-a", owner=seed.fpd_id, minutes_ago=59.8, now=NOW,
          lat=37.1, lon=-122.1, vehicle={"make": "Ford", "color": "silver"}),
        r("9FPD009", camera="cam-b", owner=seed.fpd_id, minutes_ago=49.8, now=NOW,
          lat=37.2, lon=-122.2, vehicle={"make": "Ford", "color": "silver"}),
    ])
    return login(client, "ivy", totp_code(seed.investigator_totp, datetime.now(UTC)))


def _post(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = client.post("/v1/searches", headers=headers, json={**BASE, **body})
    assert response.status_code == 200, response.text
    assert "9FPD009" not in response.text  # another agency's reads, not shared
    data = response.json()
    assert data["audit_index"] is not None
    return data


def _owners(data: dict[str, Any], seed: Seed) -> dict[int, bool]:
    return {o["owner_id"]: o["allowed"] for o in data["owners"]}


def test_a_timeline_over_the_api_shows_own_reads_and_the_path(
    client: TestClient, seed: Seed, investigator: dict[str, str]
) -> None:
    data = _post(client, investigator, {"kind": "timeline",
                                        "params": {"plate": "7TGT001", **WINDOW}})
    assert [r["camera_id"] for r in data["results"]] == ["cam-a", "cam-b"]
    assert [s["camera_id"] for s in data["path"]] == ["cam-a", "cam-b"]
    assert data["total"] == 2
    assert _owners(data, seed).get(seed.ucpd_id) is True
    assert _owners(data, seed).get(seed.fpd_id) is not True


def test_a_convoy_over_the_api_never_names_a_denied_owners_plates(
    client: TestClient, seed: Seed, investigator: dict[str, str]
) -> None:
    data = _post(client, investigator, {
        "kind": "convoy", "params": {"plate": "7TGT001", **WINDOW},
        "convoy": {"window_seconds": 60, "min_places": 2}})
    assert [c["plate"] for c in data["companions"]] == ["8FOL002"]
    assert data["total"] == 1


def test_a_stakeout_over_the_api(
    client: TestClient, seed: Seed, investigator: dict[str, str]
) -> None:
    area = {"since": (NOW - timedelta(hours=2)).isoformat(), "until": NOW.isoformat()}
    data = _post(client, investigator, {
        "kind": "stakeout", "params": {},
        "stakeout": {"min_areas": 2, "areas": [
            {"shape": "circle", "lat": 37.1, "lon": -122.1, "meters": 100, **area},
            {"shape": "box", "south": 37.19, "west": -122.21, "north": 37.21,
             "east": -122.19, **area}]}})
    assert [(p["plate"], p["areas_matched"]) for p in data["stakeout"]] == [
        ("7TGT001", [0, 1]), ("8FOL002", [0, 1])]
    assert data["total"] == 2
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    entry = log.entries(data["audit_index"], data["audit_index"] + 1)[0].entry
    assert entry["query"]["search_id"] == data["search_id"]
    assert entry["query"]["stakeout"]["min_areas"] == 2  # the areas searched are on record
    assert [a["shape"] for a in entry["query"]["stakeout"]["areas"]] == ["circle", "box"]


def test_an_attribute_search_over_the_api(
    client: TestClient, seed: Seed, investigator: dict[str, str]
) -> None:
    data = _post(client, investigator, {
        "kind": "attributes", "params": WINDOW,
        "vehicle": {"make": "ford", "color": "silver"}})
    assert {r["plate"] for r in data["results"]} == {"8FOL002"}
    assert data["total"] == 2


@pytest.mark.parametrize(("body", "needle"), [
    ({"kind": "timeline", "params": {}}, "plate"),
    ({"kind": "stakeout", "params": {}}, "stakeout"),
    ({"kind": "attributes", "params": WINDOW}, "vehicle"),
    ({"kind": "convoy", "params": {"plate": "7TGT001"}}, "since"),
    ({"kind": "stakeout", "params": {}, "stakeout": {"min_areas": 3, "areas": []}}, "areas"),
])
def test_bad_investigations_get_a_clear_422(
    client: TestClient, investigator: dict[str, str], body: dict[str, Any], needle: str
) -> None:
    response = client.post("/v1/searches", headers=investigator, json={**BASE, **body})
    assert response.status_code == 422, response.text
    assert needle in response.text and "Traceback" not in response.text
