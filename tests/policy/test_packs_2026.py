"""The 2026 packs: Oregon, Washington's status, Virginia as amended, the California strict
profile as an opt-in; the audit-entry clock of every pack; the partner sets that the
Oregon and strict-profile rules read."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import cedarpy
import pytest

from plateledger.policy import (
    LAW_PACKS,
    STATE_PACKS,
    Agreement,
    Purpose,
    default_packs,
    granted_actions,
    law_pack,
)
from plateledger.policy.clocks import AUDIT_LOG_MINIMUM, effective_policy
from plateledger.policy.compiler import partner_sets
from plateledger.policy.errors import PolicyCompileError
from plateledger.policy.filetype import FileType, UnknownFileType, parse_file_type
from plateledger.policy.lawpack import RetentionPreset

START = datetime(2025, 1, 1, tzinfo=UTC)
ONE_YEAR = timedelta(days=365)


def _citations(code: str) -> list[str]:
    parsed = json.loads(cedarpy.policies_to_json_str(LAW_PACKS[code].text))
    return [p["annotations"]["citation"] for p in parsed["staticPolicies"].values()]


@pytest.mark.parametrize("code", STATE_PACKS)
def test_every_pack_keeps_audit_entries_at_least_a_year(code: str) -> None:
    preset = law_pack(code).retention
    assert preset.audit >= ONE_YEAR
    assert preset.audit_citation
    assert effective_policy([code], None).audit_log >= max(preset.audit, AUDIT_LOG_MINIMUM)


def test_washington_keeps_access_logs_five_years() -> None:
    preset = law_pack("WA").retention
    assert preset.audit >= timedelta(days=5 * 365)
    assert "five years" in preset.audit_citation


def test_a_pack_cannot_keep_audit_entries_less_than_a_year() -> None:
    with pytest.raises(PolicyCompileError, match="at least one year"):
        RetentionPreset(None, None, "x", audit=timedelta(days=364))


def test_a_pack_floor_longer_than_the_platform_minimum_raises_the_audit_clock() -> None:
    preset = law_pack("WA").retention
    assert effective_policy(["WA", "CA"], None).audit_log == max(
        preset.audit, AUDIT_LOG_MINIMUM
    )


@pytest.mark.parametrize(
    ("codes", "days"),
    [(["OR"], 30), (["WA"], 21), (["VA"], 21), (["CA", "CA-STRICT"], 60), (["CA"], 30)],
)
def test_non_hit_clocks_of_the_packs(codes: list[str], days: int) -> None:
    # CA alone leaves the clock to the agency: the platform default applies
    assert effective_policy(codes, None).non_hit == timedelta(days=days)


def test_washington_says_its_status_and_cites_no_chapter() -> None:
    pack = law_pack("WA")
    assert pack.status == "passed both chambers; signature and chapter to be confirmed"
    assert "STATUS: passed both chambers; signature and chapter to be confirmed" in pack.text
    for citation in _citations("WA"):
        assert "chapter to be confirmed" in citation
        assert not re.search(r"\bch\.|\bc\. ?\d|RCW", citation)


def test_virginia_cites_the_amending_bill_and_its_date() -> None:
    for citation in _citations("VA"):
        assert citation.startswith("Va. Code 2.2-5517, as amended by HB 2724 (2025)")
        assert "in force 2025-07-01" in citation
    assert law_pack("VA").version == "1.1.0"


def test_the_california_strict_profile_is_a_choice_not_the_law() -> None:
    pack = law_pack("ca-strict")
    assert pack.opt_in
    assert "not law" in pack.status and "not law" in pack.citation
    assert "OPT-IN" in pack.text and "NOT the law" in pack.text
    assert all("vetoed" in c and "not law" in c for c in _citations("CA-STRICT"))
    assert default_packs("CA") == ("CA",)


def test_oregon_is_the_default_pack_of_an_oregon_agency() -> None:
    assert default_packs("OR") == ("OR",)


def _agreement(n: int, recipient: int | None, *, purposes: set[Purpose] | None = None,
               expires: datetime | None = None, revoked: bool = False) -> Agreement:
    return Agreement(
        id=n, owner_id=1, recipient_id=recipient, actions=granted_actions(["search"]),
        purposes=None if purposes is None else frozenset(purposes), max_lookback_days=None,
        case_number_required=False, result_cap=None, images=False, starts=START,
        expires=expires, revoked_at=START + timedelta(days=1) if revoked else None,
    )


def test_a_partner_is_bounded_only_while_all_its_agreements_are_narrow_and_end() -> None:
    ends = START + timedelta(days=90)
    narrow = {Purpose.HOMICIDE}
    partners, bounded = partner_sets([
        _agreement(1, 2, purposes=narrow, expires=ends),
        _agreement(2, 3, purposes=narrow, expires=ends),
        _agreement(3, 3, purposes=narrow),  # never ends
        _agreement(4, 4, purposes=narrow, expires=ends),
        _agreement(5, 4, revoked=True),  # revoked: no longer counts against
        _agreement(6, 5, purposes={Purpose.PARKING_ENFORCEMENT}, expires=ends),
    ])
    assert partners == {1: {2, 3, 4, 5}}
    assert bounded == {1: {2, 4}}


def test_an_agreement_open_to_every_agency_bounds_no_one() -> None:
    ends = START + timedelta(days=90)
    partners, bounded = partner_sets([
        _agreement(1, 2, purposes={Purpose.HOMICIDE}, expires=ends),
        _agreement(2, None, purposes={Purpose.HOMICIDE}, expires=ends),
    ])
    assert partners == {1: {2}}
    assert bounded == {1: set()}


def test_every_file_type_a_pack_names_is_on_the_closed_list() -> None:
    named = {
        found for pack in LAW_PACKS.values()
        for found in re.findall(r'context\.hotlist_file_type == "([a-z_]+)"', pack.text)
    }
    assert named == {FileType.NCIC_IMMIGRATION_VIOLATOR.value}


@pytest.mark.parametrize("code", ["CA", "IL", "WA", "OR"])
def test_the_packs_that_forbid_immigration_use_forbid_the_immigration_violator_file(
    code: str,
) -> None:
    ids = law_pack(code).policy_ids
    assert any(pid.endswith("-no-immigration-violator-file") for pid in ids)
    assert any(pid.endswith("-no-immigration-hotlist") for pid in ids)


def test_a_file_type_off_the_closed_list_is_refused_naming_it() -> None:
    assert parse_file_type(" NCIC Stolen-Vehicle ") is FileType.NCIC_STOLEN_VEHICLE
    with pytest.raises(UnknownFileType, match="file type `dmv_dump` is not one of: ncic_"):
        parse_file_type("dmv_dump")
