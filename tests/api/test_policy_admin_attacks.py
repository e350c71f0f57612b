"""scratch"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import add_agencies, login_once
from tests.factories import make_read

NOW = datetime.now(UTC).replace(microsecond=0)
ROLES = {"admin": ["admin"], "inv": ["investigator"], "sup": ["supervisor", "investigator"],
         "aud": ["auditor"], "disp": ["dispatcher"]}


@dataclass
class World:
    client: TestClient
    settings: Settings
    ids: dict[str, int]
    secrets: dict[str, str]
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def login(self, username: str) -> dict[str, str]:
        return login_once(self.client, username, self.secrets, self.tokens)

    def call(self, method: str, user: str | None, path: str, body: Any = None) -> Any:
        headers = self.login(user) if user else {}
        return self.client.request(method, path, json=body, headers=headers)


@pytest.fixture
def world(tmp_path: Any, store_path: Any) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "data", store_path=store_path,
                        secret_key="k" * 32, require_totp=True)
    catalog = open_catalog(settings, password_hasher=FAST)
    secrets: dict[str, str] = {}
    try:
        ids = add_agencies(catalog, [("ucpd", "Union City PD", "municipal", "CA"),
                                     ("fpd", "Fremont PD", "municipal", "CA"),
                                     ("hpd", "Hayward PD", "municipal", "CA"),
                                     ("ice", "ICE ERO San Francisco", "federal", "CA")],
                           ROLES, secrets, at=(37.59, -122.04))
    finally:
        catalog.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield World(client, settings, ids, secrets)


def test_explore(world: World) -> None:
    w = world
    r = w.call("POST", "fpd-admin", "/v1/admin/agreements", {
        "recipient": "ucpd", "actions": ["search"], "purposes": ["stolen_vehicle"],
        "case_number_required": False, "max_lookback_days": 1000000})
    print("big lookback", r.status_code, r.text[:300])
    plate = "7EXPL01"
    w.client.app.state.store.insert_reads([make_read(plate, camera="fpd-cam-1", owner=w.ids["fpd"], now=NOW)])
    s = w.call("POST", "ucpd-inv", "/v1/searches", {"kind": "exact", "params": {"plate": plate}, "purpose": "stolen_vehicle",
               "offense_type": "240", "case_number": "X-1", "reason": "stolen white pickup seen on Elm"})
    print("search", s.status_code, s.text[:300])
    r = w.call("POST", "fpd-admin", "/v1/admin/agreements", {
        "recipient": "hpd", "actions": ["search"], "purposes": ["stolen_vehicle"],
        "case_number_required": False, "result_cap": 10**20})
    print("big cap", r.status_code, r.text[:300])
    r = w.call("POST", "fpd-admin", "/v1/admin/agreements", {
        "recipient": "hpd", "actions": ["search"], "purposes": ["stolen_vehicle"],
        "case_number_required": False, "starts_at": "0001-01-01T00:00:00+14:00"})
    print("year 1", r.status_code, r.text[:300])
    r = w.call("POST", "fpd-admin", "/v1/admin/agreements", {
        "recipient": "hpd", "actions": ["search"], "purposes": ["stolen_vehicle"],
        "case_number_required": False, "expires_at": "9999-12-31T23:59:59-14:00"})
    print("year 9999", r.status_code, r.text[:300])
    r = w.call("PUT", "fpd-admin", "/v1/admin/sharing-preset", {"preset": "agreements", "lat": 10.0, "lon": 10.0})
    print("seat", r.status_code, r.text[:300])
    r = w.client.put("/v1/admin/sharing-preset", content='{"preset":"radius","radius_km":NaN,"lat":1,"lon":1}', headers={**w.login("hpd-admin"), "content-type": "application/json"})
    print("nan", r.status_code, r.text[:300])
    r = w.call("POST", "ucpd-admin", "/v1/policy/explain", {"action": "search_exact", "purpose": "stolen_vehicle", "requested_by": "hpd", "owners": [w.ids["fpd"], 999999]})
    print("explain", r.status_code, r.text[:3000])
