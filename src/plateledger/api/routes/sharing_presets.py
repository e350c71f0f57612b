"""The sharing preset of the caller's own agency: ``/v1/admin/sharing-preset``.

A preset is how an agency shares by default (`plateledger.policy.preset`): with no one,
under one-to-one agreements only (the default), or with the law-enforcement agencies of its
state, of named states, of the states whose packs forbid immigration use, or within a
radius of its seat. It compiles to Cedar in the enforced policy set, so it decides real
searches and alerts from the very next decision. Setting it is an agreement-level choice
(the role pack's ``role-manage``, ``manage_agreements``) and, like every administrative
change, one transaction with its audit entry (`AdminChanges.update_agency`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from plateledger.access.admin_changes import Actor
from plateledger.access.policy_source import PolicySource
from plateledger.api.deps import AdminChangesDep, AgreementAdmin, PolicyDep
from plateledger.api.errors import ApiError
from plateledger.catalog import Agency, CatalogError, NotFound
from plateledger.policy.errors import PolicyCompileError
from plateledger.policy.preset import PresetKind, preset_from_settings

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class SharingPresetIn(BaseModel):
    """The preset to share under; ``states`` for ``named_states``, ``radius_km`` for
    ``radius``, which measures from the agency's seat. The seat is recorded by the
    server's operator (`plateledger admin sharing set --lat --lon`), never through the API: it
    decides whom other agencies' radius presets admit, so an agency's admin who moved it
    would let their agency into the data of agencies near the new place. ``lat`` and
    ``lon`` here may only repeat the recorded seat."""

    model_config = ConfigDict(extra="forbid")

    preset: str = Field(max_length=32, description=", ".join(k.value for k in PresetKind))
    states: list[Annotated[str, Field(max_length=8)]] | None = Field(
        default=None, max_length=60,
        description="two-letter state codes (`named_states`), each at most 8 characters "
        "with the blanks around it: a longer one is refused before it is read")
    radius_km: float | None = None
    lat: float | None = Field(default=None, description="the agency's recorded seat, "
                              "latitude (only the operator records or moves it)")
    lon: float | None = Field(default=None, description="the agency's recorded seat, "
                              "longitude (only the operator records or moves it)")


class AdmittedOut(BaseModel):
    agency_id: int
    name: str


class SharingPresetOut(BaseModel):
    agency_id: int
    preset: str
    states: list[str] | None
    radius_km: float | None
    lat: float | None
    lon: float | None
    description: str = Field(description="what the preset shares, in one line")
    policy: str = Field(description="the Cedar the preset compiles to (none for agreements)")
    admitted: list[AdmittedOut] = Field(
        description="the agencies the preset lets reach your data today, under the packs"
    )
    policy_hash: str


def _out(agency: Agency, source: PolicySource) -> SharingPresetOut:
    engine = source.engine()
    report = engine.sharing_report(agency.id, datetime.now(UTC))
    return SharingPresetOut(
        agency_id=agency.id, preset=agency.sharing_preset,
        states=list(agency.sharing_states) if agency.sharing_states else None,
        radius_km=agency.sharing_radius_km, lat=agency.lat, lon=agency.lon,
        description=report.description, policy=report.policy,
        admitted=[AdmittedOut(agency_id=p.agency_id, name=p.name)
                  for p in report.admitted_by_preset],
        policy_hash=engine.policy_hash,
    )


def _own(changes: AdminChangesDep, agency_id: int) -> Agency:
    agency = changes.catalog.agency(agency_id)
    if agency is None:
        raise ApiError(404, "not_found", "your agency no longer exists")
    return agency


@router.get("/sharing-preset", response_model=SharingPresetOut,
            summary="Your agency's sharing preset and the agencies it admits today")
async def get_sharing_preset(
    admin: AgreementAdmin, changes: AdminChangesDep, source: PolicyDep
) -> SharingPresetOut:
    agency = _own(changes, admin.agency_id)
    return await asyncio.to_thread(_out, agency, source)


def _set(body: SharingPresetIn, admin: AgreementAdmin, changes: AdminChangesDep,
         source: PolicySource) -> SharingPresetOut:
    states = sorted({s.strip() for s in body.states}) if body.states else None
    try:
        preset_from_settings(admin.agency_id, body.preset, states, body.radius_km)
    except PolicyCompileError as exc:
        raise ApiError(422, "invalid_preset", str(exc)) from None
    agency = _own(changes, admin.agency_id)
    if (body.lat, body.lon) != (None, None) and (body.lat, body.lon) != (agency.lat, agency.lon):
        raise ApiError(422, "seat_by_operator", "an agency's seat is recorded by the "
                       "server's operator (`plateledger admin sharing set --lat --lon`), not "
                       "through the API: it decides whom radius presets admit, your "
                       "agency's and other agencies'")
    settings: dict[str, Any] = {
        "sharing_preset": body.preset, "sharing_states": states,
        "sharing_radius_km": body.radius_km,
    }
    try:
        agency = changes.update_agency(Actor.admin(admin), admin.agency_id, **settings)
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except CatalogError as exc:
        raise ApiError(422, "invalid_preset", str(exc)) from None
    return _out(agency, source)


@router.put("/sharing-preset", response_model=SharingPresetOut,
            summary="Choose your agency's sharing preset (in force for the next decision)")
async def set_sharing_preset(
    body: SharingPresetIn, admin: AgreementAdmin, changes: AdminChangesDep, source: PolicyDep
) -> SharingPresetOut:
    return await asyncio.to_thread(_set, body, admin, changes, source)
