from datetime import UTC, datetime, timedelta

import pytest

from plateledger.retention import (
    AUDIT_LOG_MINIMUM,
    CHP_POLICY,
    RetentionError,
    RetentionPolicy,
    effective_policy,
    expiry_for,
    policy_for_agency,
    searchable,
)

TS = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("packs", "non_hit"),
    [
        (["VA"], timedelta(days=21)),
        (["WA"], timedelta(days=21)),
        (["ME"], timedelta(days=21)),
        (["MN"], timedelta(days=60)),
        (["VT"], timedelta(days=547)),
        (["NH"], timedelta(minutes=3)),
        (["MN", "VA"], timedelta(days=21)),
        (["vt", "mn"], timedelta(days=60)),
    ],
)
def test_each_pack_caps_the_non_hit_clock_and_the_strictest_wins(
    packs: list[str], non_hit: timedelta
) -> None:
    assert effective_policy(packs, None).non_hit == non_hit


def test_california_leaves_the_clock_to_the_agency_setting() -> None:
    policy = effective_policy(["CA"], CHP_POLICY)
    assert policy.non_hit == timedelta(days=60)
    assert policy.sources == ("agency",)


def test_an_agency_may_be_stricter_than_its_pack_but_never_looser() -> None:
    assert effective_policy(["MN"], RetentionPolicy.days(30)).non_hit == timedelta(days=30)
    assert effective_policy(["VA"], RetentionPolicy.days(365)).non_hit == timedelta(days=21)


def test_without_pack_or_agency_setting_the_platform_default_applies() -> None:
    policy = effective_policy(["IL"], None)
    assert policy.sources == ("default",)
    assert policy.non_hit == timedelta(days=30)


def test_vermont_caps_hit_reads_too_and_other_packs_leave_hits_to_the_agency() -> None:
    assert effective_policy(["VT"], RetentionPolicy.days(30, hit=1000)).hit == timedelta(days=547)
    assert effective_policy(["VA"], RetentionPolicy.days(30, hit=400)).hit == timedelta(days=400)


def test_the_audit_log_is_kept_at_least_five_years() -> None:
    assert effective_policy(["NH"], None).audit_log >= AUDIT_LOG_MINIMUM
    with pytest.raises(RetentionError, match="five years"):
        RetentionPolicy.days(30, audit_log=365)


def test_images_never_outlive_the_longer_read_clock() -> None:
    policy = effective_policy(["VA"], RetentionPolicy.days(90, hit=90, images=400))
    assert policy.images == timedelta(days=90)


def test_a_state_without_a_retention_rule_adds_no_ceiling() -> None:
    assert effective_policy(["NV"], RetentionPolicy.days(400)).non_hit == timedelta(days=400)


def test_a_malformed_pack_code_is_refused() -> None:
    with pytest.raises(RetentionError, match="law pack `VIRGINIA` is not a two-letter"):
        effective_policy(["Virginia"], None)


def test_an_agency_may_set_some_clocks_and_leave_the_others_to_pack_and_default() -> None:
    policy = policy_for_agency(["VA"], hit=timedelta(days=180))
    assert (policy.non_hit, policy.hit) == (timedelta(days=21), timedelta(days=180))
    assert policy.sources == ("VA", "agency")
    assert policy_for_agency(["CA"]).hit == timedelta(days=365)


def test_expiry_is_the_read_time_plus_the_clock_for_its_kind() -> None:
    policy = RetentionPolicy.days(21, hit=365)
    assert expiry_for(TS, False, policy) == TS + timedelta(days=21)
    assert expiry_for(TS, True, policy) == TS + timedelta(days=365)


def test_new_hampshire_non_hits_are_never_searchable() -> None:
    policy = effective_policy(["NH"], None)
    assert not searchable(policy, hit=False)
    assert searchable(policy, hit=True)
    assert expiry_for(TS, False, policy) == TS + timedelta(minutes=3)
    received = TS + timedelta(seconds=20)
    assert expiry_for(TS, False, policy, received_at=received) == received


def test_a_read_time_without_zone_is_refused() -> None:
    with pytest.raises(RetentionError):
        expiry_for(datetime(2026, 3, 1), False, CHP_POLICY)
