"""Collection zones of the caller's agency: list, add, revoke (``manage_agency``).

A zone is a circle (``centre`` and ``radius_m``) or a ``polygon`` of ``[lat, lon]``
points. No camera of the agency may be registered inside an active zone, and reads placed
inside one are dropped at ingest. The answer names each zone's ``rule_id``: the agency's
own (``agency-zone-<id>``) or, for an agency under the WA pack recording one of SB 6002's
sensitive locations, ``wa-sb6002-sensitive-location``. Another agency's zone answers 404.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from plateledger.access.admin_changes import Actor
from plateledger.api.deps import AdminChangesDep, AdminUser, CatalogDep
from plateledger.api.ids import RowId
from plateledger.api.routes.admin import catalog_errors
from plateledger.catalog import Zone

router = APIRouter(prefix="/v1/admin/zones", tags=["admin"])


class ZonePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    place: str = Field(description="kind of place: school, place_of_worship, courthouse …")
    centre_lat: float | None
    centre_lon: float | None
    radius_m: float | None
    polygon: list[list[float]] | None = Field(description="[[lat, lon], …] for a polygon")
    rule_id: str = Field(description="the rule a read dropped in this zone is counted under")
    created_at: datetime
    revoked_at: datetime | None


class ZoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    place: str = Field(max_length=32)
    centre: tuple[float, float] | None = Field(default=None, description="[lat, lon]")
    radius_m: float | None = Field(default=None, gt=0)
    polygon: list[tuple[float, float]] | None = Field(
        default=None, max_length=200, description="[[lat, lon], …], at least three points")


@router.get("", response_model=list[ZonePublic], summary="Your agency's collection zones")
def list_zones(admin: AdminUser, catalog: CatalogDep) -> list[Zone]:
    return catalog.zones(admin.agency_id)


@router.post("", response_model=ZonePublic, status_code=201, summary="Add a collection zone")
def create_zone(body: ZoneCreate, admin: AdminUser, changes: AdminChangesDep) -> Zone:
    with catalog_errors():
        return changes.add_zone(
            Actor.admin(admin), admin.agency_id, body.name, body.place, centre=body.centre,
            radius_m=body.radius_m, polygon=body.polygon,
        )


@router.delete("/{zone_id}", status_code=204, summary="Revoke a collection zone")
def revoke_zone(
    zone_id: RowId, admin: AdminUser, changes: AdminChangesDep
) -> None:
    with catalog_errors():
        changes.revoke_zone(Actor.admin(admin), zone_id, agency_id=admin.agency_id)
