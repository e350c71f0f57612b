"""The server's services reach routes through typed dependencies: a missing one is a 503,
never a silently skipped decision or entry; agency names are looked up as the catalog
changes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from plateledger.api.errors import install_error_handlers
from plateledger.api.resources import CatalogCache
from plateledger.api.routes import admin, audit, searches
from plateledger.catalog import open_catalog
from plateledger.settings import Settings


def test_a_route_whose_service_is_missing_answers_503() -> None:
    app = FastAPI()
    install_error_handlers(app)
    for module in (searches, audit, admin):
        app.include_router(module.router)
    with TestClient(app) as client:
        answers = [
            client.post("/v1/searches", json={"kind": "exact", "params": {"plate": "7ABC123"}},
                        headers={"Authorization": "Bearer x"}),
            client.get("/v1/audit/entries"),
            client.post("/v1/admin/keys", json={}, headers={"Authorization": "Bearer x"}),
        ]
    assert [a.status_code for a in answers] == [503, 503, 503]
    assert {a.json()["error"]["code"] for a in answers} == {"service_unavailable"}


def test_an_agency_added_while_the_server_runs_is_named(tmp_path: Path) -> None:
    catalog = open_catalog(Settings(data_dir=tmp_path, require_totp=False))
    try:
        cache = CatalogCache(catalog, check_every=0)
        first = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        assert cache.agency_name(first.id) == "ucpd"
        later = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        assert cache.agency_name(later.id) == "fpd"
        assert cache.agency_name(999) == "999"
    finally:
        catalog.close()
