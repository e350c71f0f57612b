"""Sharing presets: validated, compiled to Cedar that validates against the schema, and
reported with the agencies they admit today."""

from __future__ import annotations

from datetime import timedelta

import cedarpy
import pytest

from plateledger.policy import (
    SEARCH_ACTIONS,
    Action,
    Agreement,
    PolicyCompileError,
    PolicyEngine,
    PresetKind,
    SharingPreset,
)
from plateledger.policy.compiler import schema
from plateledger.policy.lawpack import similar_law_states
from tests.policy.scenario import City

HOUSTON, OAKLAND, PORTLAND = 93, 1, 100


def test_the_similar_law_states_are_those_whose_packs_forbid_immigration_use() -> None:
    assert similar_law_states() == ("CA", "IL", "OR", "WA")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": PresetKind.NAMED_STATES}, "names no state"),
    ({"kind": PresetKind.NAMED_STATES, "states": frozenset({"Texas"})}, "state `Texas`"),
    ({"kind": PresetKind.IN_STATE, "states": frozenset({"TX"})}, "`in_state` preset names no"),
    ({"kind": PresetKind.RADIUS}, "must be 0 to 5000 km"),
    ({"kind": PresetKind.RADIUS, "radius_km": 0.0}, "must be 0 to 5000 km"),
    ({"kind": PresetKind.NONE, "radius_km": 5.0}, "`none` preset has no radius"),
    ({"kind": PresetKind.IN_STATE, "actions": frozenset({Action.MANAGE_USERS})},
     "may grant searches, alerts and export"),
])
def test_a_preset_that_cannot_compile_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyCompileError, match=message):
        SharingPreset(HOUSTON, **kwargs)  # type: ignore[arg-type]


def test_one_preset_per_owner(city: City) -> None:
    with pytest.raises(PolicyCompileError, match="two sharing presets"):
        PolicyEngine(city.agencies.values(), [], [], [
            SharingPreset(HOUSTON, PresetKind.IN_STATE), SharingPreset(HOUSTON, PresetKind.NONE),
        ])


def test_every_preset_compiles_to_cedar_the_schema_accepts(city: City) -> None:
    engine = PolicyEngine(city.agencies.values(), [], [], [
        SharingPreset(HOUSTON, PresetKind.IN_STATE),
        SharingPreset(OAKLAND, PresetKind.NONE),
        SharingPreset(PORTLAND, PresetKind.SIMILAR_LAW),
        SharingPreset(90, PresetKind.NAMED_STATES, frozenset({"TX", "AZ"})),
        SharingPreset(80, PresetKind.RADIUS, radius_km=25.0),
        SharingPreset(20, PresetKind.AGREEMENTS),
    ])
    result = cedarpy.validate_policies(engine.policy_text, schema())
    assert result.validation_passed, result.errors
    assert 'permit (principal, action in [' in engine.policy_text
    assert '@id("preset-1-none")' in engine.policy_text
    assert "preset-20" not in engine.policy_text


def test_the_sharing_report_shows_the_preset_and_the_agencies_it_admits_today(
    city: City,
) -> None:
    engine = PolicyEngine(city.agencies.values(), [], [],
                          [SharingPreset(HOUSTON, PresetKind.IN_STATE)])
    report = engine.sharing_report(HOUSTON, city.now)
    assert report.preset.kind is PresetKind.IN_STATE
    assert report.description == (
        "houston_pd (agency 93) shares with non-federal law-enforcement agencies of TX "
        "(sharing preset `in_state`)"
    )
    assert '["TX"].contains(principal.state)' in report.policy
    # the private security company of Texas is not admitted; the county is
    assert [p.name for p in report.admitted_by_preset] == ["harris_so"]
    assert report.admitted_by_preset == report.partners
    assert report.partners[0].policy_ids == ("preset-93",)


def test_an_owner_without_a_preset_shares_under_agreements_only(city: City) -> None:
    engine = PolicyEngine(city.agencies.values(), [], [])
    report = engine.sharing_report(HOUSTON, city.now)
    assert report.preset.kind is PresetKind.AGREEMENTS
    assert (report.policy, report.partners, report.admitted_by_preset) == ("", (), ())


def test_a_none_preset_reports_no_partner_even_with_an_agreement(city: City) -> None:
    agreement = Agreement(1, OAKLAND, 2, SEARCH_ACTIONS, None, None, False, None, False,
                          city.now - timedelta(days=30))
    engine = PolicyEngine(city.agencies.values(), [agreement], [],
                          [SharingPreset(OAKLAND, PresetKind.NONE)])
    report = engine.sharing_report(OAKLAND, city.now)
    assert report.partners == ()
    assert "forbid" in report.policy


def test_a_preset_changes_the_policy_hash(city: City) -> None:
    plain = PolicyEngine(city.agencies.values(), [], [])
    shared = PolicyEngine(city.agencies.values(), [], [],
                          [SharingPreset(HOUSTON, PresetKind.IN_STATE)])
    assert plain.policy_hash != shared.policy_hash
