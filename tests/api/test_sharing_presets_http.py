"""Sharing presets through the real app: the preset an agency's admin chooses compiles into
the enforced policy set and decides the very next search, each change is an audit entry,
and the sharing report shows the preset, its Cedar and whom it admits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login


@dataclass(frozen=True)
class Nevada:
    """Reno PD (the owner), Sparks PD (same state), Boise PD (Idaho, with a one-to-one
    agreement from Reno) and an FBI field office in Reno. Nevada has no law pack, so what
    decides is the owner's preset and agreements alone."""

    rpd: int
    spd: int
    bpd: int
    fbi: int
    totp: dict[str, str]


@pytest.fixture
def nevada(settings: Settings, seed: Seed) -> Nevada:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        ids = {slug: catalog.add_agency(name, slug, kind, state).id for name, slug, kind, state in (
            ("Reno PD", "rpd", "municipal", "NV"), ("Sparks PD", "spd", "municipal", "NV"),
            ("Boise PD", "bpd", "municipal", "ID"), ("FBI Reno", "fbi", "federal", "NV"),
        )}
        catalog.add_user(ids["rpd"], "rpd-admin", PASSWORD, ["admin"])
        totp = {}
        for slug in ("spd", "bpd", "fbi"):
            totp[slug] = new_totp_secret()
            catalog.add_user(ids[slug], f"{slug}-ivy", PASSWORD, ["investigator"],
                             totp_secret=totp[slug])
        catalog.add_agreement(ids["rpd"], ids["bpd"], actions=["search"],
                              purposes=["stolen_vehicle"], created_by="chief")
        return Nevada(ids["rpd"], ids["spd"], ids["bpd"], ids["fbi"], totp)
    finally:
        catalog.close()


@pytest.fixture
def app(settings: Settings, nevada: Nevada) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def investigators(client: TestClient, nevada: Nevada) -> dict[str, dict[str, str]]:
    """One login each (a one-time code serves once per 30 s step)."""
    return {slug: login(client, f"{slug}-ivy", code(secret))
            for slug, secret in nevada.totp.items()}


def decided(client: TestClient, headers: dict[str, str], owner: int) -> dict[str, Any]:
    response = client.post("/v1/searches", headers=headers, json={
        "kind": "exact", "params": {"plate": "7ABC123"}, "purpose": "stolen_vehicle",
        "offense_type": "240", "case_number": "RN-2026-0042", "reason": "stolen white pickup",
    })
    assert response.status_code == 200, response.text
    found: dict[str, Any] = {o["owner_id"]: o for o in response.json()["owners"]}[owner]
    return found


def last_entry(settings: Settings) -> dict[str, Any]:
    catalog = open_catalog(settings)
    try:
        log = AuditLog(catalog.engine, signer=None)
        entry: dict[str, Any] = log.entry(log.size() - 1).entry
        return entry
    finally:
        catalog.close()


def test_an_in_state_preset_shares_with_its_state_only_and_none_shares_with_no_one(
    app: TestClient, nevada: Nevada, settings: Settings
) -> None:
    admin = login(app, "rpd-admin")
    ivy = investigators(app, nevada)
    rule = f"preset-{nevada.rpd}"
    # The default: agreements only. Sparks has none; Boise has one.
    assert not decided(app, ivy["spd"], nevada.rpd)["allowed"]
    assert decided(app, ivy["bpd"], nevada.rpd)["allowed"]

    response = app.put("/v1/admin/sharing-preset", headers=admin, json={"preset": "in_state"})
    assert response.status_code == 200, response.text
    assert response.json()["preset"] == "in_state"
    assert [a["agency_id"] for a in response.json()["admitted"]] == [nevada.spd]
    entry = last_entry(settings)
    assert (entry["change"], entry["owner_agency"], entry["user"]) == (
        "agency_settings", "rpd", "rpd-admin")
    assert entry["before"]["sharing_preset"] == "agreements"
    assert entry["after"]["sharing_preset"] == "in_state"

    sparks = decided(app, ivy["spd"], nevada.rpd)
    assert sparks["allowed"] and rule in sparks["policy_ids"]
    boise = decided(app, ivy["bpd"], nevada.rpd)
    assert boise["allowed"] and rule not in boise["policy_ids"]  # its agreement, not the preset
    fbi = decided(app, ivy["fbi"], nevada.rpd)
    assert not fbi["allowed"]  # a preset never admits a federal requester

    report = app.get(f"/v1/agencies/{nevada.rpd}/sharing").json()
    assert report["preset"]["kind"] == "in_state"
    assert rule in report["preset"]["policy"] and "permit" in report["preset"]["policy"]
    assert report["preset"]["admitted"] == [nevada.spd]
    assert "NV" in report["preset"]["description"]

    response = app.put("/v1/admin/sharing-preset", headers=admin, json={"preset": "none"})
    assert response.status_code == 200, response.text
    assert last_entry(settings)["after"]["sharing_preset"] == "none"
    for slug in ("spd", "bpd"):
        verdict = decided(app, ivy[slug], nevada.rpd)
        assert not verdict["allowed"]
        assert f"{rule}-none" in verdict["policy_ids"]  # the agreement included
    assert app.get(f"/v1/agencies/{nevada.rpd}/sharing").json()["partners"] == []


def test_a_named_states_preset_admits_those_states(app: TestClient, nevada: Nevada) -> None:
    admin = login(app, "rpd-admin")
    response = app.put("/v1/admin/sharing-preset", headers=admin,
                       json={"preset": "named_states", "states": ["ID"]})
    assert response.status_code == 200, response.text
    assert [a["agency_id"] for a in response.json()["admitted"]] == [nevada.bpd]
    shown = app.get("/v1/admin/sharing-preset", headers=admin).json()
    assert (shown["preset"], shown["states"]) == ("named_states", ["ID"])


@pytest.mark.parametrize(("body", "message"), [
    ({"preset": "everyone"}, "sharing preset `everyone` is not one of"),
    ({"preset": "named_states"}, "names no state"),
    ({"preset": "in_state", "states": ["ID"]}, "a `in_state` preset names no states"),
    ({"preset": "radius", "radius_km": 50}, "needs the agency's seat"),
    ({"preset": "radius", "radius_km": 9000}, "0 to 5000 km"),
    ({"preset": "agreements", "lat": 39.5, "lon": -119.8}, "recorded by the server's operator"),
    ({"preset": "named_states", "states": ["nv"]}, "state `nv` must be two capitals"),
])
def test_settings_that_do_not_compile_answer_422_and_change_nothing(
    app: TestClient, nevada: Nevada, body: dict[str, Any], message: str
) -> None:
    admin = login(app, "rpd-admin")
    response = app.put("/v1/admin/sharing-preset", headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert message in response.text
    assert app.get("/v1/admin/sharing-preset", headers=admin).json()["preset"] == "agreements"


def test_a_radius_preset_measures_from_the_seat(
    app: TestClient, nevada: Nevada, settings: Settings
) -> None:
    catalog = open_catalog(settings)
    try:
        catalog.update_agency(nevada.spd, lat=39.53, lon=-119.75)  # Sparks, 5 km away
        catalog.update_agency(nevada.bpd, lat=43.61, lon=-116.20)  # Boise, 550 km away
        catalog.update_agency(nevada.rpd, lat=39.53, lon=-119.81)  # the operator: Reno's seat
    finally:
        catalog.close()
    admin = login(app, "rpd-admin")
    response = app.put("/v1/admin/sharing-preset", headers=admin, json={
        "preset": "radius", "radius_km": 50, "lat": 39.53, "lon": -119.81})  # repeated
    assert response.status_code == 200, response.text
    assert [a["agency_id"] for a in response.json()["admitted"]] == [nevada.spd]


def test_only_an_admin_sets_the_preset(app: TestClient, nevada: Nevada) -> None:
    ivy = investigators(app, nevada)
    response = app.put("/v1/admin/sharing-preset", headers=ivy["spd"], json={"preset": "none"})
    assert response.status_code == 403
    assert app.get("/v1/admin/sharing-preset").status_code == 401
