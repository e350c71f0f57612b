"""Policy for people: the closed list of purposes, explanations of decisions, and the
sharing partners an agency's data can actually reach — generated from the enforced
policy set, never typed in."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from plateledger.access import AccessDenied, AccessGate
from plateledger.access.policy_source import PolicySource
from plateledger.api.deps import GateDep, PolicyDep, PolicyExplainer
from plateledger.api.errors import ApiError
from plateledger.catalog import Principal
from plateledger.policy import AccessRequest, Purpose, parse_action, parse_purpose
from plateledger.policy.errors import PolicyError
from plateledger.policy.offense import offenses

router = APIRouter(prefix="/v1", tags=["policy"])

ExplainUser = PolicyExplainer
"""Who may explain decisions is the role pack's `role-explain-policy`."""


class PurposeOut(BaseModel):
    value: str
    description: str


@router.get("/policy/purposes", response_model=list[PurposeOut],
            summary="The closed list of purposes a search may give")
async def purposes() -> list[PurposeOut]:
    return [PurposeOut(value=p.value, description=(p.__doc__ or "").strip()) for p in Purpose]


class OffenseOut(BaseModel):
    code: str
    group: str
    name: str


@router.get("/offense-types", response_model=list[OffenseOut],
            summary="The closed list of NIBRS offense codes a search may name")
async def offense_types() -> list[OffenseOut]:
    return [OffenseOut(code=o.code, group=o.group, name=o.name) for o in offenses()]


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description="search_exact, search_fuzzy, export, receive_alert …")
    purpose: str
    case_number: str | None = None
    reason: str = ""
    lookback_days: int = Field(default=30, ge=0, le=36500)
    requested_by: str | None = Field(default=None, description="agency slug")
    as_user: str | None = Field(
        default=None, description="username to decide for (default: yourself)"
    )
    owners: list[int] | None = Field(default=None, description="default: every agency")
    hotlist_category: str | None = None


class CedarCallOut(BaseModel):
    side: str
    principal: str
    action: str
    resource: str
    context: dict[str, Any]
    allowed: bool
    policy_ids: list[str]
    errors: list[str]


class OwnerExplained(BaseModel):
    owner_id: int
    allowed: bool
    policy_ids: list[str]
    reasons: list[str]
    lookback_days: int | None
    result_cap: int | None
    images: bool
    cedar: list[CedarCallOut]


class ExplainResponse(BaseModel):
    policy_hash: str
    packs_version: str
    reason_flags: list[str]
    owners: list[OwnerExplained]
    dry_run: Literal[True] = True


def _explain(
    gate: AccessGate, source: PolicySource, body: ExplainRequest, user: Principal
) -> ExplainResponse:
    catalog = gate.catalog
    subject = user
    if body.as_user:
        # Only users of the caller's own agency, whatever the caller's roles: another
        # agency's user answers as an unknown one does (the answer would confirm the
        # account and show its roles).
        other = catalog.user_by_username(body.as_user)
        agency = None if other is None else catalog.agency(other.agency_id)
        if other is None or agency is None or other.agency_id != user.agency_id:
            raise ApiError(404, "unknown_user", f"no user `{body.as_user[:64]}` you may explain")
        # With its acting-for agency, so that the explanation is the decision it gets.
        subject = Principal(other.id, other.username, other.agency_id, agency.kind,
                            agency.home_state, frozenset(other.roles),
                            acting_for_id=other.acting_for_agency_id)
    try:
        requested_by = gate.requested_by(subject, body.requested_by)
        request_ = AccessRequest(
            user_id=subject.user_id, user_agency_id=subject.agency_id,
            requested_by_agency_id=requested_by, action=parse_action(body.action),
            purpose=parse_purpose(body.purpose), case_number=body.case_number,
            reason=body.reason, lookback_days=body.lookback_days,
            owners=body.owners or gate.owners(), now=datetime.now(UTC),
            hotlist_category=body.hotlist_category,
            user_roles=subject.roles, acting_for_agency_id=subject.acting_for_id,
        )
    except AccessDenied as exc:
        raise ApiError(422, exc.code, exc.message) from None
    except PolicyError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    explanation = source.engine().explain(request_)
    decision = explanation.decision
    return ExplainResponse(
        policy_hash=decision.policy_hash,
        packs_version=explanation.packs_version,
        reason_flags=sorted(f.value for f in decision.reason_flags),
        owners=[
            OwnerExplained(
                owner_id=o.owner_id, allowed=o.allowed, policy_ids=list(o.policy_ids),
                reasons=list(o.reasons), lookback_days=o.limits.lookback_days,
                result_cap=o.limits.result_cap, images=o.limits.images,
                cedar=[
                    CedarCallOut(side=c.side, principal=c.principal, action=c.action,
                                 resource=c.resource, context=dict(c.context),
                                 allowed=c.allowed, policy_ids=list(c.policy_ids),
                                 errors=list(c.errors))
                    for c in explanation.calls.get(o.owner_id, ())
                ],
            )
            for o in decision.per_owner.values()
        ],
    )


@router.post("/policy/explain", response_model=ExplainResponse,
             summary="Decide a request as a dry run and show why (admins, supervisors, auditors)")
async def explain(
    body: ExplainRequest, user: ExplainUser, gate: GateDep, source: PolicyDep
) -> ExplainResponse:
    return await asyncio.to_thread(_explain, gate, source, body, user)


class PartnerOut(BaseModel):
    agency_id: int
    name: str
    actions: list[str]
    purposes: list[str]
    policy_ids: list[str]


class PresetOut(BaseModel):
    kind: str = Field(description="none, agreements, in_state, named_states, similar_law, radius")
    description: str
    policy: str = Field(description="the Cedar the preset compiles to (none for agreements)")
    admitted: list[int] = Field(description="the partners' ids the preset admits today")


class SharingOut(BaseModel):
    agency_id: int
    policy_hash: str
    generated_at: datetime
    partners: list[PartnerOut]
    preset: PresetOut


@router.get("/agencies/{agency_id}/sharing", response_model=SharingOut,
            summary="Who can actually reach this agency's data, from the enforced policy set")
async def sharing(agency_id: int, source: PolicyDep) -> SharingOut:
    engine = source.engine()
    if agency_id not in engine.agencies:
        raise ApiError(404, "unknown_agency", f"no agency {agency_id}")
    now = datetime.now(UTC)
    report = await asyncio.to_thread(engine.sharing_report, agency_id, now)
    return SharingOut(
        agency_id=agency_id, policy_hash=engine.policy_hash, generated_at=now,
        partners=[PartnerOut(agency_id=p.agency_id, name=p.name,
                             actions=[a.value for a in p.actions],
                             purposes=[x.value for x in p.purposes],
                             policy_ids=list(p.policy_ids)) for p in report.partners],
        preset=PresetOut(kind=report.preset.kind.value, description=report.description,
                         policy=report.policy,
                         admitted=[p.agency_id for p in report.admitted_by_preset]),
    )
