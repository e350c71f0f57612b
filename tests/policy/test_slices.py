"""Deciding on the slice of the policy set that can apply gives the whole set's answer."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import cedarpy

from plateledger.policy import (
    AccessRequest,
    Action,
    Agreement,
    Declaration,
    PolicyEngine,
    PresetKind,
    Purpose,
    SharingPreset,
    granted_actions,
)
from plateledger.policy.compiler import schema, user_entity
from tests.policy.scenario import City

REASONS = ["white sedan seen leaving the shooting", "ICE request", "investigation",
           "cars at the protest rally", "abortion clinic visitor from out of state"]


def _random_engine(city: City, rng: random.Random) -> PolicyEngine:
    ids = [a.id for a in city.agencies.values()]
    agreements = []
    for n in range(60):
        owner, recipient = rng.sample(ids, 2)
        agreements.append(Agreement(
            id=n + 1, owner_id=owner, recipient_id=None if n % 17 == 0 else recipient,
            actions=granted_actions(rng.sample(["search", "alert", "export"], rng.randint(1, 3))),
            purposes=None if rng.random() < 0.4
            else frozenset(rng.sample(sorted(Purpose), rng.randint(1, 4))),
            max_lookback_days=rng.choice([None, 7, 30]),
            case_number_required=rng.random() < 0.5, result_cap=rng.choice([None, 100]),
            images=rng.random() < 0.3,
            starts=city.now - timedelta(days=rng.randint(-5, 100)),
            expires=rng.choice([None, city.now + timedelta(days=rng.randint(-5, 50))]),
        ))
    declarations = [Declaration(i, "IL", "signer", city.now - timedelta(days=1), "0" * 64)
                    for i in rng.sample(ids, 5)]
    kinds = sorted(PresetKind)
    presets = []
    for owner in rng.sample(ids, 12):
        kind = rng.choice(kinds)
        presets.append(SharingPreset(
            owner, kind,
            frozenset(rng.sample(["CA", "TX", "NV", "OR", "WA", "DC"], 2))
            if kind is PresetKind.NAMED_STATES else frozenset(),
            rng.choice([10.0, 500.0]) if kind is PresetKind.RADIUS else None,
        ))
    return PolicyEngine(city.agencies.values(), agreements, declarations, presets)


def test_the_slice_decides_as_the_whole_set(city: City) -> None:
    rng = random.Random(20250601)
    engine = _random_engine(city, rng)
    full = engine.full_policy_set()
    ids = sorted(engine.agencies)
    compared = 0
    for _ in range(40):
        agency, on_behalf = rng.choice(ids), rng.choice(ids + [0] * len(ids)) or None
        acting_for = rng.choice(ids + [0] * 3 * len(ids)) or None
        roles = frozenset(rng.sample(["investigator", "supervisor", "dispatcher", "auditor",
                                      "admin"], rng.randint(0, 2)))
        request = AccessRequest(
            user_id=rng.choice([None, 7]), user_agency_id=agency,
            requested_by_agency_id=on_behalf or agency,
            action=rng.choice(sorted(Action)), purpose=rng.choice(sorted(Purpose)),
            case_number=rng.choice([None, "25-1"]), reason=rng.choice(REASONS),
            lookback_days=rng.randint(1, 60), owners=ids, now=city.now,
            hotlist_category=rng.choice([None, "stolen_vehicle", "immigration_violator"]),
            user_roles=roles, acting_for_agency_id=acting_for,
            hotlist_file_type=rng.choice([None, "ncic_stolen_vehicle",
                                          "ncic_immigration_violator"]),
        )
        stores: dict[str, list[dict[str, object]]] = {}
        for side, judged_as in (("user", acting_for), ("user_as_own_agency", agency)):
            stores[side] = engine.entity_json
            if request.user_id is not None:
                stores[side].append(user_entity(
                    request.user_id, engine.agency(agency), roles,
                    None if acting_for is None else engine.agency(acting_for),
                    as_class=None if judged_as is None else engine.agency(judged_as),
                ))
        explanation = engine.explain(request)
        every = [c for calls in explanation.calls.values() for c in calls]
        for side, store in stores.items():
            # an acting-for user's own-class side is judged with a user entity of that class
            calls = [c for c in every
                     if (c.side == "user_as_own_agency") == (side == "user_as_own_agency")]
            batch = [{
                "principal": call.principal, "action": f'Action::"{call.action}"',
                "resource": call.resource, "context": dict(call.context),
            } for call in calls]
            results = cedarpy.is_authorized_batch(batch, full, json.dumps(store)) if batch else []
            for call, result in zip(calls, results, strict=True):
                names = result.diagnostics.id_annotations_by_reason
                assert call.allowed == result.allowed
                assert set(call.policy_ids) == {names[r] for r in result.diagnostics.reasons}
                compared += 1
    assert compared > 1000


def test_the_compiled_set_validates_against_the_schema(city: City) -> None:
    engine = _random_engine(city, random.Random(7))
    result = cedarpy.validate_policies(engine.policy_text, schema())
    assert result.validation_passed, result.errors
