"""An agency whose retention clocks cannot be worked out (a catalog written before the
API checked them: a 0-day clock put straight into it) cannot give its reads an expiry.
Its cameras' posts are refused with a clear answer that says why and what to fix —
never a 500 — nothing of the batch is stored or kept in quarantine (whose items live by
the same clock), and other agencies' cameras go on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from plateledger.api.app import create_app
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import Seed, login
from tests.factories import unique_plate


def post(client: TestClient, key: str, camera: str, plate: str) -> Any:
    read = {"camera_id": camera, "plate": plate, "confidence": 0.9,
            "ts": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "lat": 37.59, "lon": -122.04}
    return client.post("/v1/reads", content=json.dumps([read]).encode(),
                       headers={"X-API-Key": key, "Content-Type": "application/json"})


def test_a_broken_clock_refuses_that_agencys_reads_clearly_and_no_others(
    settings: Settings, seed: Seed,
) -> None:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.add_camera("ucpd-fix-1", seed.ucpd_id, "mobile")
        catalog.add_camera("fpd-fix-1", seed.fpd_id, "mobile")
        ours = catalog.issue_api_key(seed.ucpd_id, "ucpd-fix-1", "pole")
        theirs = catalog.issue_api_key(seed.fpd_id, "fpd-fix-1", "pole")
        with catalog.engine.begin() as conn:
            conn.execute(text("UPDATE agencies SET retention_nonhit_days = 0 WHERE id = :id"),
                         {"id": seed.ucpd_id})
    finally:
        catalog.close()
    mine, other = unique_plate("B"), unique_plate("B")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        admin = login(client, "ucpd-admin")
        prefix = ours.split("_")[1]
        on = client.put(f"/v1/admin/quarantine/credentials/api_key/{prefix}",
                        json={"enabled": True}, headers=admin)
        assert on.status_code == 204, on.text
        refused = post(client, ours, "ucpd-fix-1", mine)
        assert refused.status_code == 503, refused.text
        error = refused.json()["error"]
        assert error["code"] == "retention_unavailable"
        assert "retention" in error["message"] and "nothing" in error["message"]
        assert "Traceback" not in refused.text
        accepted = post(client, theirs, "fpd-fix-1", other)
        assert accepted.status_code == 200, accepted.text
        store = client.app.state.store  # type: ignore[attr-defined]
        plates = {r["plate"] for r in store.query(
            "SELECT plate FROM {db}.reads WHERE plate IN ({a:String}, {b:String})",
            {"a": mine, "b": other}).to_pylist()}
        assert plates == {other}
        with client.app.state.catalog.engine.connect() as conn:  # type: ignore[attr-defined]
            kept = conn.execute(text("SELECT count(*) FROM ingest_quarantine")).scalar()
        assert kept == 0
