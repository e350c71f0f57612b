"""The engine: explanations, sharing partners, the policy hash, and failing closed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from plateledger.policy import (
    DEFAULT_DENY,
    SEARCH_ACTIONS,
    UNKNOWN_OWNER,
    AccessRequest,
    Action,
    AgencyFacts,
    AgencyKind,
    Agreement,
    Declaration,
    PolicyCompileError,
    PolicyEngine,
    PolicyError,
    Purpose,
    UnknownPack,
)
from plateledger.policy.alert import AlertQuestion, question_request
from tests.policy.scenario import City


def _id(city: City, name: str) -> int:
    return city.agencies[name].id


def _agreement(city: City, n: int, owner: str, recipient: str | None, **terms: object) -> Agreement:
    values: dict[str, object] = {
        "actions": SEARCH_ACTIONS, "purposes": None, "max_lookback_days": None,
        "case_number_required": False, "result_cap": None, "images": False,
        "starts": city.now - timedelta(days=30),
    }
    values.update(terms)
    return Agreement(n, _id(city, owner), None if recipient is None else _id(city, recipient),
                     **values)  # type: ignore[arg-type]


def _request(city: City, agency: str, names: list[str], **fields: object) -> AccessRequest:
    values: dict[str, object] = {
        "user_id": 7, "user_agency_id": _id(city, agency),
        "requested_by_agency_id": _id(city, agency), "action": Action.SEARCH_EXACT,
        "purpose": Purpose.HOMICIDE, "case_number": "25-1",
        "reason": "white sedan seen leaving the shooting", "lookback_days": 7,
        "owners": [_id(city, o) for o in names], "now": city.now,
        "user_roles": frozenset({"investigator"}),
    }
    values.update(fields)
    return AccessRequest(**values)  # type: ignore[arg-type]


def test_explain_gives_the_decision_and_every_cedar_request(city: City) -> None:
    engine = PolicyEngine(city.agencies.values(), [], [])
    request = _request(city, "oakland_pd", ["oakland_pd"], requested_by_agency_id=10)
    explanation = engine.explain(request)
    assert explanation.decision == engine.decide(request)
    calls = explanation.calls[_id(city, "oakland_pd")]
    assert [c.side for c in calls] == ["user", "requested_by"]
    assert calls[0].principal == 'User::"7"' and calls[1].principal == 'Agency::"10"'
    assert calls[0].context["requested_by"] == {"__entity": {"type": "Agency", "id": "10"}}
    assert calls[0].context["purpose"] == "homicide"
    assert "CA=" in explanation.packs_version


def test_sharing_partners_are_what_the_engine_allows_not_what_agreements_say(
    city: City,
) -> None:
    agreements = [
        _agreement(city, 1, "oakland_pd", "alameda_so", purposes=frozenset({Purpose.HOMICIDE})),
        _agreement(city, 2, "oakland_pd", "ice_ero"),
        _agreement(city, 3, "oakland_pd", "reno_pd"),
        _agreement(city, 4, "oakland_pd", "chp", revoked_at=city.now - timedelta(days=1)),
    ]
    engine = PolicyEngine(city.agencies.values(), agreements, [])
    partners = engine.sharing_partners(_id(city, "oakland_pd"), city.now)
    assert [p.agency_id for p in partners] == [_id(city, "alameda_so")]
    assert partners[0].purposes == (Purpose.HOMICIDE,)
    assert set(partners[0].actions) == SEARCH_ACTIONS
    assert partners[0].policy_ids == ("agreement-1",)


def test_an_agency_open_to_everyone_lists_every_lawful_partner(city: City) -> None:
    engine = PolicyEngine(city.agencies.values(), [_agreement(city, 1, "chp", None)], [])
    names = {p.name for p in engine.sharing_partners(_id(city, "chp"), city.now)}
    assert names == {"oakland_pd", "alameda_so", "berkeley_pd", "sf_pd"}


def test_the_policy_hash_is_stable_and_follows_every_fact(city: City) -> None:
    agencies = list(city.agencies.values())
    base = PolicyEngine(agencies, [_agreement(city, 1, "oakland_pd", "alameda_so")], [])
    again = PolicyEngine(reversed(agencies), [_agreement(city, 1, "oakland_pd", "alameda_so")])
    assert base.policy_hash == again.policy_hash
    assert len(base.policy_hash) == 64
    changed = [
        PolicyEngine(agencies, [_agreement(city, 1, "oakland_pd", "alameda_so", images=True)]),
        PolicyEngine(agencies, []),
        PolicyEngine([*agencies[1:], AgencyFacts(1, "oakland_pd", AgencyKind.FEDERAL, "CA",
                                                 ("CA",))],
                     [_agreement(city, 1, "oakland_pd", "alameda_so")]),
        PolicyEngine(agencies, [_agreement(city, 1, "oakland_pd", "alameda_so")],
                     [Declaration(20, "IL", "a signer", city.now, "0" * 64)]),
    ]
    assert len({base.policy_hash, *(e.policy_hash for e in changed)}) == 5


def test_an_unknown_owner_is_denied_and_named(city: City) -> None:
    engine = PolicyEngine(city.agencies.values(), [], [])
    request = _request(city, "oakland_pd", ["oakland_pd"], owners=[1, 999])
    decision = engine.decide(request)
    assert decision.per_owner[999].policy_ids == (UNKNOWN_OWNER,)
    assert decision.allowed_owners() == (1,)
    assert decision.denied_owners() == (999,)


@pytest.mark.parametrize("field", ["user_agency_id", "requested_by_agency_id"])
def test_an_unknown_requesting_agency_is_an_error_not_a_decision(city: City, field: str) -> None:
    engine = PolicyEngine(city.agencies.values(), [], [])
    with pytest.raises(PolicyError, match="no agency `999`"):
        engine.decide(_request(city, "oakland_pd", ["oakland_pd"], **{field: 999}))


def test_a_request_without_a_time_zone_is_refused(city: City) -> None:
    engine = PolicyEngine(city.agencies.values(), [], [])
    with pytest.raises(PolicyError, match="time zone"):
        engine.decide(_request(city, "oakland_pd", ["oakland_pd"], now=datetime(2025, 6, 1)))


def test_owners_are_decided_once_each_in_request_order(city: City) -> None:
    engine = PolicyEngine(city.agencies.values(), [], [])
    request = _request(city, "oakland_pd", ["chp", "oakland_pd", "chp"])
    decision = engine.decide(request)
    assert list(decision.per_owner) == [3, 1]
    assert decision.per_owner[3].policy_ids == (DEFAULT_DENY,)


def test_the_alert_gate_question_decides_on_the_list_category(city: City) -> None:
    agreements = [_agreement(city, 1, "oakland_pd", "alameda_so",
                             actions=frozenset({Action.RECEIVE_ALERT}))]
    engine = PolicyEngine(city.agencies.values(), agreements, [])
    stolen = engine.decide(question_request(
        AlertQuestion(2, 1, "stolen_vehicle", "stolen_vehicle"), city.now)).per_owner[1]
    immigration = engine.decide(question_request(
        AlertQuestion(2, 1, "immigration_violator", "immigration_violator"), city.now)
    ).per_owner[1]
    assert (stolen.allowed, stolen.policy_ids) == (True, ("agreement-1",))
    assert not immigration.allowed
    assert "ca-gov-7284.6-no-immigration-hotlist" in immigration.policy_ids


@pytest.mark.parametrize(("terms", "message"), [
    ({"actions": frozenset()}, "grants no action"),
    ({"actions": frozenset({Action.MANAGE_USERS})}, "cannot grant administration"),
    ({"purposes": frozenset()}, "lists no purpose"),
    ({"max_lookback_days": 0}, "`max_lookback_days` of agreement `1` must be 1 or more"),
    ({"starts": datetime(2025, 1, 1)}, "without a zone"),
])
def test_an_agreement_that_cannot_be_compiled_is_refused(
    city: City, terms: dict[str, object], message: str
) -> None:
    with pytest.raises(PolicyCompileError, match=message):
        _agreement(city, 1, "oakland_pd", "alameda_so", **terms)


def test_an_agreement_with_an_unknown_agency_is_refused(city: City) -> None:
    agreement = _agreement(city, 1, "oakland_pd", "alameda_so")
    with pytest.raises(PolicyCompileError, match="unknown agency `2`"):
        PolicyEngine([city.agencies["oakland_pd"]], [agreement], [])


def test_an_agency_governed_by_an_unknown_pack_is_refused(city: City) -> None:
    odd = AgencyFacts(500, "odd", AgencyKind.COUNTY, "TX", ("ZZ",))
    with pytest.raises(UnknownPack, match="no law pack `ZZ`"):
        PolicyEngine([odd], [], [])
