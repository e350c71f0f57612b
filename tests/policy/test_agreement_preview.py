"""Dry runs of a proposed agreement, revoked declarations, and the notes and reasons that
say why a decision came out as it did."""

from __future__ import annotations

from datetime import timedelta

from plateledger.policy import (
    SEARCH_ACTIONS,
    AccessRequest,
    Action,
    Agreement,
    Declaration,
    PolicyEngine,
    Purpose,
)
from tests.policy.scenario import City


def _id(city: City, name: str) -> int:
    return city.agencies[name].id


def _agreement(city: City, owner: str, recipient: str, **terms: object) -> Agreement:
    values: dict[str, object] = {
        "actions": SEARCH_ACTIONS, "purposes": frozenset({Purpose.HOMICIDE}),
        "max_lookback_days": None, "case_number_required": True, "result_cap": None,
        "images": False, "starts": city.now - timedelta(days=1),
    }
    values.update(terms)
    return Agreement(99, _id(city, owner), _id(city, recipient), **values)  # type: ignore[arg-type]


def _request(city: City, agency: str, owner: str, **fields: object) -> AccessRequest:
    values: dict[str, object] = {
        "user_id": 7, "user_agency_id": _id(city, agency),
        "requested_by_agency_id": _id(city, agency), "action": Action.SEARCH_EXACT,
        "purpose": Purpose.HOMICIDE, "case_number": "25-1",
        "reason": "white sedan seen leaving the shooting", "lookback_days": 7,
        "owners": [_id(city, owner)], "now": city.now,
        "user_roles": frozenset({"investigator"}),
    }
    values.update(fields)
    return AccessRequest(**values)  # type: ignore[arg-type]


def test_an_agreement_with_a_federal_agency_for_california_data_is_always_denied(
    city: City,
) -> None:
    engine = PolicyEngine(city.agencies.values(), [])
    preview = engine.preview_agreement(_agreement(city, "alameda_so", "ice_ero"), city.now)
    assert {p.action for p in preview} == set(SEARCH_ACTIONS)
    for action in preview:
        assert action.always_denied
        assert "ca-civ-1798.90.55b-no-federal" in action.denied_by
        assert any("federal" in r for r in action.reasons)


def test_a_lawful_agreement_previews_as_allowed(city: City) -> None:
    engine = PolicyEngine(city.agencies.values(), [])
    preview = engine.preview_agreement(
        _agreement(city, "houston_pd", "harris_so", actions=frozenset({Action.SEARCH_EXACT})),
        city.now,
    )
    [only] = preview
    assert only.action is Action.SEARCH_EXACT
    assert only.allowed_purposes == (Purpose.HOMICIDE,)
    assert not only.always_denied


def test_a_preview_names_the_purposes_the_packs_deny(city: City) -> None:
    engine = PolicyEngine(city.agencies.values(), [])
    # Berkeley publishes a closed purpose list: narcotics is not on it.
    preview = engine.preview_agreement(_agreement(
        city, "berkeley_pd", "oakland_pd", actions=frozenset({Action.SEARCH_EXACT}),
        purposes=frozenset({Purpose.HOMICIDE, Purpose.NARCOTICS}),
    ), city.now)
    [only] = preview
    assert only.allowed_purposes == (Purpose.HOMICIDE,)
    assert only.denied_by == ("owner-published-purposes",)


def test_a_revoked_declaration_no_longer_lets_an_out_of_state_agency_in(city: City) -> None:
    agreement = _agreement(city, "chicago_pd", "houston_pd")
    signed = city.now - timedelta(days=10)
    declared = Declaration(_id(city, "houston_pd"), "IL", "a signer", signed, "0" * 64)
    revoked = Declaration(_id(city, "houston_pd"), "IL", "a signer", signed, "0" * 64,
                          revoked_at=city.now - timedelta(days=1))
    request = _request(city, "houston_pd", "chicago_pd")
    before = PolicyEngine(city.agencies.values(), [agreement], [declared]).decide(request)
    after = PolicyEngine(city.agencies.values(), [agreement], [revoked]).decide(request)
    assert before.per_owner[_id(city, "chicago_pd")].allowed
    denied = after.per_owner[_id(city, "chicago_pd")]
    assert not denied.allowed
    assert denied.policy_ids == ("il-625ilcs5-2-130-out-of-state-declaration",)


def test_a_clamped_lookback_is_a_note_of_the_allowed_owner(city: City) -> None:
    agreement = _agreement(city, "houston_pd", "harris_so", max_lookback_days=10)
    engine = PolicyEngine(city.agencies.values(), [agreement])
    decision = engine.decide(_request(city, "harris_so", "houston_pd", lookback_days=30))
    owner = decision.per_owner[_id(city, "houston_pd")]
    assert owner.allowed
    assert owner.notes == ("lookback limited to 10 days",)
    unclamped = engine.decide(_request(city, "harris_so", "houston_pd", lookback_days=5))
    assert unclamped.per_owner[_id(city, "houston_pd")].notes == ()


def test_an_ended_agreement_is_named_in_the_reasons(city: City) -> None:
    agreement = _agreement(city, "houston_pd", "harris_so",
                           revoked_at=city.now - timedelta(hours=1))
    engine = PolicyEngine(city.agencies.values(), [agreement])
    owner = engine.decide(_request(city, "harris_so", "houston_pd")).per_owner[
        _id(city, "houston_pd")]
    assert owner.policy_ids == ("agreement-99-revoked",)
    assert owner.reasons == ("agreement-99-revoked: agreement 99 was revoked",)
