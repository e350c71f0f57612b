"""Claims of docs/policies.md that no other test held, each checked against the real
engine (default packs), the real reason screening or the real `plateledger admin` CLI on
a real SQLite catalog."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plateledger.catalog import open_catalog
from plateledger.cli.admin import app
from plateledger.policy import (
    SEARCH_ACTIONS,
    AccessRequest,
    Action,
    Agreement,
    PolicyEngine,
    PresetKind,
    Purpose,
    ReasonFlag,
    SharingPreset,
    screen_reason,
)
from plateledger.settings import Settings
from tests.policy.scenario import City

runner = CliRunner()

OAKLAND, ACME, HOUSTON, HARRIS, SEATTLE, PORTLAND_OR = 1, 92, 93, 94, 50, 100


def _request(agency: int, owner: int, **fields: object) -> AccessRequest:
    values: dict[str, object] = {
        "user_id": 7, "user_agency_id": agency, "requested_by_agency_id": agency,
        "action": Action.SEARCH_EXACT, "purpose": Purpose.HOMICIDE, "case_number": "25-00417",
        "reason": "white sedan seen leaving the shooting on Fifth Street", "lookback_days": 7,
        "owners": [owner], "user_roles": frozenset({"investigator"}),
    }
    values.update(fields)
    return AccessRequest(**values)  # type: ignore[arg-type]


# --- Purposes and reasons ------------------------------------------------------------


@pytest.mark.parametrize("reason", ["check", "plate check", "check on vehicle"])
def test_a_check_is_a_vague_reason(reason: str) -> None:
    """"The free-text reason is screened … for vague reasons ("investigation", "check")."""
    assert ReasonFlag.VAGUE in screen_reason(reason)


@pytest.mark.parametrize("reason", [
    "plates of cars at the mosque during Friday prayers",
    "vehicles parked outside the synagogue for the Saturday service",
    "cars at the church worship service on Sunday morning",
])
def test_a_religious_gathering_is_screened_as_protected_activity(reason: str) -> None:
    """"The free-text reason is screened … for … protected activity (protests, religious
    gatherings)." """
    assert ReasonFlag.PROTECTED_ACTIVITY in screen_reason(reason)


# --- Sharing presets -----------------------------------------------------------------


def test_a_preset_partner_may_not_view_images(city: City) -> None:
    """"A preset permit grants every search and hot-list alerts (no export, no images:
    those need an agreement)." """
    engine = PolicyEngine(city.agencies.values(), [], [],
                          [SharingPreset(HOUSTON, PresetKind.IN_STATE)])
    searched = engine.decide(_request(HARRIS, HOUSTON, now=city.now))
    assert searched.per_owner[HOUSTON].allowed
    viewed = engine.decide(_request(HARRIS, HOUSTON, action=Action.VIEW_IMAGE, now=city.now))
    assert not viewed.per_owner[HOUSTON].allowed


def test_a_preset_admits_no_private_company_on_the_requesting_for_side(city: City) -> None:
    """"[A preset] never admits a federal requester or a private company, on either side
    of a request": a county searching for a private company is refused."""
    engine = PolicyEngine(city.agencies.values(), [], [],
                          [SharingPreset(HOUSTON, PresetKind.IN_STATE)])
    for_itself = engine.decide(_request(HARRIS, HOUSTON, now=city.now))
    assert for_itself.per_owner[HOUSTON].allowed
    for_acme = engine.decide(_request(HARRIS, HOUSTON, requested_by_agency_id=ACME,
                                      now=city.now))
    assert not for_acme.per_owner[HOUSTON].allowed


@pytest.mark.parametrize("preset", [
    SharingPreset(PORTLAND_OR, PresetKind.NAMED_STATES, frozenset({"WA"})),
    SharingPreset(PORTLAND_OR, PresetKind.RADIUS, radius_km=400.0),
], ids=["named_states", "radius"])
def test_an_oregon_owner_with_a_preset_beyond_oregon_lets_no_outside_entity_in(
    city: City, preset: SharingPreset,
) -> None:
    """"A preset that may admit agencies of other states is unrestricted, ongoing access to
    Oregon's rule, so an Oregon owner with one lets no outside entity in" — not even a
    partner that also holds a narrow agreement that ends."""
    agencies = dict(city.agencies)
    # seats: Portland, Oregon and Seattle are about 230 km apart
    agencies["portland_or_pd"] = dataclasses.replace(agencies["portland_or_pd"],
                                                     lat=45.52, lon=-122.68)
    agencies["seattle_pd"] = dataclasses.replace(agencies["seattle_pd"],
                                                 lat=47.61, lon=-122.33)
    narrow = Agreement(1, PORTLAND_OR, SEATTLE, SEARCH_ACTIONS, frozenset({Purpose.HOMICIDE}),
                       None, False, None, False, city.now - timedelta(days=30),
                       expires=city.now + timedelta(days=180))
    without_preset = PolicyEngine(agencies.values(), [narrow], [])
    assert without_preset.decide(
        _request(SEATTLE, PORTLAND_OR, now=city.now)).per_owner[PORTLAND_OR].allowed
    engine = PolicyEngine(agencies.values(), [narrow], [], [preset])
    decided = engine.decide(_request(SEATTLE, PORTLAND_OR, now=city.now)).per_owner[PORTLAND_OR]
    assert not decided.allowed
    assert decided.policy_ids == ("or-sb1516-outside-oregon-narrow-agreement",)


# --- Sharing agreements from the command line ----------------------------------------


def _two_agencies(tmp_path: Path) -> list[str]:
    data = ["--data-dir", str(tmp_path)]
    for step in (
        ["agency", "add", "Union City PD", "--slug", "ucpd", "--kind", "municipal",
         "--state", "CA"],
        ["agency", "add", "Fremont PD", "--slug", "fpd", "--kind", "municipal",
         "--state", "CA"],
    ):
        assert runner.invoke(app, [*step, *data]).exit_code == 0
    return data


def _agreement_count(tmp_path: Path) -> int:
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        return len(catalog.agreements())
    finally:
        catalog.close()


def test_the_cli_refuses_an_agreement_sharing_images_without_search(tmp_path: Path) -> None:
    """"An agreement that grants `search` and shares images (`--images-allowed`) … one that
    shares images without `search` is refused." """
    data = _two_agencies(tmp_path)
    result = runner.invoke(app, [
        "agreement", "add", "--owner", "ucpd", "--recipient", "fpd", "--action", "alert",
        "--purpose", "stolen_vehicle", "--created-by", "chief", "--images-allowed", *data])
    assert result.exit_code != 0, result.output
    assert _agreement_count(tmp_path) == 0


def test_the_cli_refuses_view_image_without_sharing_images(tmp_path: Path) -> None:
    """"One that names `view_image` without sharing images is refused: it would open
    nothing." """
    data = _two_agencies(tmp_path)
    result = runner.invoke(app, [
        "agreement", "add", "--owner", "ucpd", "--recipient", "fpd", "--action", "search",
        "--action", "view_image", "--purpose", "stolen_vehicle", "--created-by", "chief",
        *data])
    assert result.exit_code != 0, result.output
    assert _agreement_count(tmp_path) == 0


def test_the_cli_adds_an_agreement_sharing_images_with_search(tmp_path: Path) -> None:
    """"An agreement that grants `search` and shares images (`--images-allowed`) also
    grants `view_image`." """
    data = _two_agencies(tmp_path)
    result = runner.invoke(app, [
        "agreement", "add", "--owner", "ucpd", "--recipient", "fpd", "--action", "search",
        "--purpose", "stolen_vehicle", "--created-by", "chief", "--images-allowed", *data])
    assert result.exit_code == 0, result.output
    assert _agreement_count(tmp_path) == 1
