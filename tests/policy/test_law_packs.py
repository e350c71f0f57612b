"""The law packs: well-formed, annotated, typed against the schema, consistent with the
closed purpose list and with the retention clocks."""

from __future__ import annotations

import json
import re

import cedarpy
import pytest

from plateledger.policy import (
    LAW_PACKS,
    STATE_PACKS,
    Purpose,
    UnknownPack,
    default_packs,
    law_pack,
    packs_version,
)
from plateledger.policy.clocks import PACK_RETENTION
from plateledger.policy.compiler import schema
from plateledger.policy.lawpack import PLATFORM_PACKS


@pytest.mark.parametrize("code", sorted(LAW_PACKS))
def test_every_pack_policy_is_a_forbid_with_id_citation_and_reason(code: str) -> None:
    parsed = json.loads(cedarpy.policies_to_json_str(LAW_PACKS[code].text))
    policies = parsed["staticPolicies"].values()
    assert policies
    for policy in policies:
        assert policy["effect"] == "forbid"
        assert {"id", "citation", "reason"} <= set(policy["annotations"])
        assert policy["annotations"]["id"].startswith(f"{code.lower()}-") or code in PLATFORM_PACKS


def test_policy_ids_are_unique_across_packs() -> None:
    ids = [pid for pack in LAW_PACKS.values() for pid in pack.policy_ids]
    assert len(ids) == len(set(ids))


def test_every_pack_validates_against_the_schema() -> None:
    text = "\n".join(pack.text for pack in LAW_PACKS.values())
    result = cedarpy.validate_policies(text, schema())
    assert result.validation_passed, result.errors


def test_every_purpose_a_pack_names_is_on_the_closed_list() -> None:
    closed = {p.value for p in Purpose}
    lists = [
        found for pack in LAW_PACKS.values()
        for found in re.findall(r"\[([^\]]*)\]\.contains\(context\.purpose\)", pack.text)
    ]
    assert len(lists) >= 4
    for found in lists:
        named = set(re.findall(r'"([a-z_]+)"', found))
        assert named and named <= closed, named - closed


@pytest.mark.parametrize("code", STATE_PACKS)
def test_retention_presets_agree_with_the_retention_clocks(code: str) -> None:
    preset = law_pack(code).retention
    clocks = PACK_RETENTION[code]
    assert (preset.non_hit, preset.hit) == (clocks.non_hit, clocks.hit)


def test_new_hampshire_non_hits_are_kept_three_minutes() -> None:
    preset = law_pack("nh").retention
    assert preset.non_hit is not None and preset.non_hit.total_seconds() == 180


@pytest.mark.parametrize(("state", "packs"), [("CA", ("CA",)), ("MN", ("MN",)), ("TX", ())])
def test_an_agency_is_governed_by_its_home_state_pack_when_one_exists(
    state: str, packs: tuple[str, ...]
) -> None:
    assert default_packs(state) == packs


def test_an_unknown_pack_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(UnknownPack, match="no law pack `ZZ`: packs are CA, IL"):
        law_pack("ZZ")


def test_the_packs_version_names_every_pack() -> None:
    version = packs_version()
    assert all(f"{code}=" in version for code in LAW_PACKS)


def test_every_state_pack_rule_is_guarded_by_its_own_code() -> None:
    # The engine asks each owner with its own packs only; that is exact only while every
    # rule of a state pack applies solely to data that carries that pack.
    for code, pack in LAW_PACKS.items():
        rules = [r for r in re.split(r"(?=@id\()", pack.text) if r.startswith("@id(")]
        assert rules, code
        for rule in rules:
            if code in PLATFORM_PACKS:
                assert "resource.packs.contains" not in rule
            else:
                assert f'resource.packs.contains("{code}")' in rule, rule[:60]
