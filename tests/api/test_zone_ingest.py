"""Reads placed inside a collection zone are dropped at ingest and counted, never stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed

SCHOOL = (37.5934, -122.0439)
METRE = 1 / 111_195  # degrees of latitude


@dataclass
class Patrol:
    client: TestClient
    key: str
    zone_id: int
    settings: Settings

    def post(self, reads: list[dict[str, Any]]) -> Any:
        return self.client.post("/v1/reads", content=json.dumps(reads).encode(),
                                headers={"X-API-Key": self.key,
                                         "Content-Type": "application/json"})

    def entries(self) -> list[dict[str, Any]]:
        catalog = open_catalog(self.settings, password_hasher=FAST)
        try:
            log = AuditLog(catalog.engine, signer=None)
            return [log.entry(i).entry for i in range(log.size())]
        finally:
            catalog.close()


def drive(plates: list[str], start: float) -> list[dict[str, Any]]:
    """A mobile camera driving north through the school's 160 m circle, one read every
    50 m from 300 m south of its centre."""
    ts = datetime.now(UTC) - timedelta(minutes=5)
    return [{"camera_id": "ucpd-mob-1", "plate": plate, "confidence": 0.9,
             "ts": (ts + timedelta(seconds=i)).isoformat(),
             "lat": SCHOOL[0] + (start + 50 * i) * METRE, "lon": SCHOOL[1]}
            for i, plate in enumerate(plates)]


@pytest.fixture
def patrol(settings: Settings, seed: Seed) -> Iterator[Patrol]:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.add_camera("ucpd-mob-1", seed.ucpd_id, "mobile")
        key = catalog.issue_api_key(seed.ucpd_id, "ucpd-mob-1", "patrol car")
        zone = catalog.add_zone(seed.ucpd_id, "Alvarado Elementary", "school",
                                centre=SCHOOL, radius_m=160)
    finally:
        catalog.close()
    with TestClient(create_app(settings)) as client:
        yield Patrol(client, key, zone.id, settings)


def test_a_mobile_camera_driving_through_a_zone_keeps_only_the_reads_outside(
    patrol: Patrol,
) -> None:
    # at -300, -250, -200 m (outside), -150 … +150 m (inside: 7 reads), +200, +250 m
    plates = [f"7ZON{i:03d}" for i in range(12)]
    response = patrol.post(drive(plates, -300))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["zone_dropped"] == 7
    assert len(body["accepted"]) == 5 and body["errors"] == []

    store = patrol.client.app.state.store  # type: ignore[attr-defined]
    stored = set(store.query("SELECT plate FROM plateledger.reads").column("plate").to_pylist())
    assert stored & set(plates) == {plates[i] for i in (0, 1, 2, 10, 11)}

    [entry] = [e for e in patrol.entries() if e["type"] == "zone_drop"]
    rule = f"agency-zone-{patrol.zone_id}"
    assert (entry["owner_agency"], entry["counts"], entry["reads"]) == ("ucpd", {rule: 7}, 7)
    raw = json.dumps(entry)
    assert not any(plate in raw for plate in plates) and "read_id" not in raw
    assert "lat" not in raw


def test_a_batch_wholly_inside_a_zone_is_answered_not_refused(patrol: Patrol) -> None:
    response = patrol.post(drive(["7ZON100", "7ZON101"], -20))
    assert response.status_code == 200, response.text
    assert (response.json()["zone_dropped"], response.json()["accepted"]) == (2, [])


def test_a_revoked_zone_no_longer_drops_reads(patrol: Patrol, settings: Settings) -> None:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.revoke_zone(patrol.zone_id)
    finally:
        catalog.close()
    # (no wait: the zones are looked up again for each batch after a catalog change)
    body = patrol.post(drive(["7ZON200", "7ZON201"], -20)).json()
    assert (body["zone_dropped"], len(body["accepted"])) == (0, 2)
    assert not [e for e in patrol.entries() if e["type"] == "zone_drop"]


def test_a_zone_added_is_in_force_for_the_very_next_post(patrol: Patrol) -> None:
    """A read posted right after the zone's 201 is dropped: none slips in while the
    server would otherwise wait a second to look at the catalog again."""
    warm = patrol.post(drive(["7ZON300"], -300)).json()  # the zones read and kept
    assert (warm["zone_dropped"], len(warm["accepted"])) == (0, 1)
    admin = patrol.client.post("/v1/auth/token", json={
        "username": "ucpd-admin", "password": PASSWORD})
    assert admin.status_code == 200, admin.text
    clinic = (SCHOOL[0] + 2_000 * METRE, SCHOOL[1])
    added = patrol.client.post(
        "/v1/admin/zones", headers={"Authorization": f"Bearer {admin.json()['access_token']}"},
        json={"name": "Eastside clinic", "place": "health_care", "centre": list(clinic),
              "radius_m": 150})
    assert added.status_code == 201, added.text
    body = patrol.post(drive(["7ZON301"], 2_000)).json()
    assert (body["zone_dropped"], body["accepted"]) == (1, [])


def test_no_count_in_the_log_means_nothing_of_the_batch_is_stored(patrol: Patrol) -> None:
    catalog = open_catalog(patrol.settings, password_hasher=FAST)
    try:
        with catalog.engine.begin() as conn:
            conn.execute(text("DROP TABLE audit_entries"))
    finally:
        catalog.close()
    store = patrol.client.app.state.store  # type: ignore[attr-defined]
    before = store.count()
    response = patrol.post(drive(["7ZON300", "7ZON301", "7ZON302", "7ZON303"], -300))
    assert response.status_code == 503, response.text
    assert "collection zone" in response.text
    assert store.count() == before


def test_a_photo_taken_inside_a_zone_is_recognised_but_not_kept(patrol: Patrol) -> None:
    from plateledger.recognize.synthetic import synthetic_frames

    shot = next(iter(synthetic_frames(1, 9002)))
    response = patrol.client.post(
        "/v1/images", headers={"X-API-Key": patrol.key},
        files={"image": ("frame.jpg", shot.jpeg(quality=95), "image/jpeg")},
        data={"camera_id": "ucpd-mob-1", "lat": str(SCHOOL[0]), "lon": str(SCHOOL[1])},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["recognitions"] and body["accepted"] == []
    assert body["zone_dropped"] == len(body["recognitions"])
    [entry] = [e for e in patrol.entries() if e["type"] == "zone_drop"]
    assert entry["reads"] == body["zone_dropped"]
