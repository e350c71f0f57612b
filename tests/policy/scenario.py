"""Scenario files: agencies, agreements and a request, with the decision expected per owner.

``cases/_city.yaml`` defines the shared fixture city (agencies by name, the default time);
every other ``cases/*.yaml`` file holds a list of cases (agencies, agreements,
declarations and sharing presets, a request, the decision expected per owner). Agencies
are named, never numbered, in cases; agreement ids become ``agreement-<id>`` policy ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from plateledger.policy import (
    AccessRequest,
    AgencyFacts,
    AgencyKind,
    Agreement,
    Declaration,
    PolicyEngine,
    PresetKind,
    SharingPreset,
    default_packs,
    granted_actions,
    parse_action,
    parse_purpose,
)

CASES = Path(__file__).parent / "cases"


def _time(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class City:
    agencies: dict[str, AgencyFacts]
    now: datetime


def load_city() -> City:
    raw = yaml.safe_load((CASES / "_city.yaml").read_text())
    return City(
        {name: agency_facts(name, spec) for name, spec in raw["agencies"].items()},
        _time(raw["now"]),
    )


def agency_facts(name: str, spec: dict[str, Any]) -> AgencyFacts:
    purposes = spec.get("purposes")
    return AgencyFacts(
        id=int(spec["id"]),
        name=name,
        kind=AgencyKind(spec["kind"]),
        home_state=spec["state"],
        law_packs=tuple(spec.get("packs", default_packs(spec["state"]))),
        case_number_required=bool(spec.get("case_number_required", False)),
        purposes=None if purposes is None else tuple(parse_purpose(p) for p in purposes),
        is_law_enforcement=bool(spec.get("law_enforcement", True)),
        is_prosecutor=bool(spec.get("prosecutor", False)),
        is_defence=bool(spec.get("defence", False)),
        lat=spec.get("lat"),
        lon=spec.get("lon"),
    )


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    engine: PolicyEngine
    request: AccessRequest
    names: dict[int, str]
    expect: dict[str, dict[str, Any]]
    flags: frozenset[str] | None


def _agreement(spec: dict[str, Any], ids: dict[str, int], city: City) -> Agreement:
    recipient = spec["recipient"]
    purposes = spec.get("purposes")
    return Agreement(
        id=int(spec["id"]),
        owner_id=ids[spec["owner"]],
        recipient_id=None if recipient == "everyone" else ids[recipient],
        actions=granted_actions(spec.get("actions", ["search"]),
                                images=bool(spec.get("images", False))),
        purposes=None if purposes is None else frozenset(parse_purpose(p) for p in purposes),
        max_lookback_days=spec.get("max_lookback_days"),
        case_number_required=bool(spec.get("case_number_required", False)),
        result_cap=spec.get("result_cap"),
        images=bool(spec.get("images", False)),
        starts=_time(spec.get("starts", "2025-01-01T00:00:00Z")),
        expires=_time(spec["expires"]) if spec.get("expires") else None,
        revoked_at=_time(spec["revoked_at"]) if spec.get("revoked_at") else None,
    )


def _case(file: str, raw: dict[str, Any], city: City) -> Case:
    agencies = dict(city.agencies)
    for name, spec in (raw.get("agencies") or {}).items():
        agencies[name] = agency_facts(name, spec)
    ids = {name: a.id for name, a in agencies.items()}
    agreements = [_agreement(s, ids, city) for s in raw.get("agreements") or []]
    declarations = [
        Declaration(ids[d["agency"]], d["state"], d.get("signer", "a signer"),
                    _time(d.get("signed_at", "2025-01-01T00:00:00Z")), "0" * 64)
        for d in raw.get("declarations") or []
    ]
    presets = [
        SharingPreset(ids[s["owner"]], PresetKind(s["kind"]), frozenset(s.get("states", ())),
                      s.get("radius_km"))
        for s in raw.get("presets") or []
    ]
    req = raw["request"]
    user_agency = ids[req["agency"]]
    request = AccessRequest(
        user_id=None if req.get("as_agency") else 7,
        user_agency_id=user_agency,
        requested_by_agency_id=ids[req.get("requested_by", req["agency"])],
        action=parse_action(req.get("action", "search_exact")),
        purpose=parse_purpose(req.get("purpose", "homicide")),
        case_number=req.get("case_number", "25-00417"),
        reason=req.get("reason", "white sedan seen leaving the shooting on Fifth Street"),
        lookback_days=int(req.get("lookback_days", 7)),
        owners=[ids[o] for o in raw["expect"]],
        now=_time(req.get("now", city.now)),
        hotlist_category=req.get("hotlist_category"),
        hotlist_file_type=req.get("hotlist_file_type"),
        user_roles=frozenset(req.get("roles", ["investigator"])),
        acting_for_agency_id=ids[req["acting_for"]] if req.get("acting_for") else None,
        has_legal_basis=bool(req.get("legal_basis") or raw.get("legal_basis")),
    )
    flags = raw.get("flags")
    return Case(
        file, raw["name"], PolicyEngine(agencies.values(), agreements, declarations, presets),
        request, {a.id: name for name, a in agencies.items()}, raw["expect"],
        None if flags is None else frozenset(flags),
    )


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every case as (``file: name``, raw mapping), in file order."""
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        for raw in yaml.safe_load(path.read_text()) or []:
            found.append((f"{path.stem}: {raw['name']}", raw))
    return found


def build(raw: dict[str, Any], file: str = "") -> Case:
    return _case(file, raw, load_city())
