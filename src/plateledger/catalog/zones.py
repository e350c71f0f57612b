"""Collection zones: places where an agency collects nothing.

A zone is a circle or a polygon an agency records (a school, a place of worship, a
courthouse …). No camera of the agency may be registered inside one of its active
zones, and a read placed inside one is dropped at ingest. Each zone names the rule that
made it: ``agency-zone-<id>`` for the agency's own choice, or, for an agency under the
Washington pack recording one of SB 6002's sensitive locations, the pack's rule
``wa-sb6002-sensitive-location``. The pack cannot know the places: the agency records
them, and the pack's rule applies to them (the agency cannot file them under its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from plateledger.catalog.database import CatalogDatabase
from plateledger.catalog.errors import CatalogError, NotFound
from plateledger.catalog.geometry import Area
from plateledger.catalog.models import (
    WA_SENSITIVE_LOCATION_RULE,
    WA_SENSITIVE_PLACES,
    ZONE_PLACES,
    Agency,
    Zone,
)
from plateledger.catalog.timeutil import utc_now

MAX_RADIUS_M = 5_000.0
MAX_POLYGON_POINTS = 200


@dataclass(frozen=True)
class ActiveZone:
    """An active zone's shape and rule, ready to test points against."""

    zone_id: int
    rule_id: str
    area: Area
    _bounds: tuple[float, float, float, float] = field(init=False, repr=False, compare=False)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) containing the zone."""
        return self._bounds

    def __post_init__(self) -> None:
        object.__setattr__(self, "_bounds", self.area.bounds)

    def contains(self, lat: float, lon: float) -> bool:
        return self.area.contains(lat, lon)


def zone_area(zone: Zone) -> Area:
    """The shape of ``zone``."""
    if zone.polygon is not None:
        return Area(polygon=tuple((float(p[0]), float(p[1])) for p in zone.polygon))
    assert zone.centre_lat is not None and zone.centre_lon is not None
    return Area(centre=(zone.centre_lat, zone.centre_lon), radius_m=zone.radius_m)


def rule_for(agency: Agency, place: str, zone_id: int) -> str:
    """The rule a zone of ``agency`` for ``place`` is honoured under: the WA pack's for
    one of SB 6002's sensitive locations when the agency's packs include WA, else the
    agency's own."""
    packs = {p.split("-")[0] for p in agency.law_packs}
    if "WA" in packs and place in WA_SENSITIVE_PLACES:
        return WA_SENSITIVE_LOCATION_RULE
    return f"agency-zone-{zone_id}"


def _check_point(lat: float, lon: float) -> None:
    if not -90 <= lat <= 90:
        raise CatalogError(f"latitude `{lat}` is outside -90..90")
    if not -180 <= lon <= 180:
        raise CatalogError(f"longitude `{lon}` is outside -180..180")


def _check_shape(centre: tuple[float, float] | None, radius_m: float | None,
                 polygon: Sequence[Sequence[float]] | None) -> None:
    if (centre is None) != (radius_m is None):
        raise CatalogError("a zone's circle needs both its centre and its radius")
    if centre is None and polygon is None:
        raise CatalogError("a zone needs a shape: a circle (centre and radius) or a polygon")
    if centre is not None and polygon is not None:
        raise CatalogError("a zone is a circle (centre and radius) or a polygon, not both")
    if centre is not None and radius_m is not None:
        _check_point(*centre)
        if not 0 < radius_m <= MAX_RADIUS_M:
            raise CatalogError(f"radius `{radius_m}` m must be above 0 and at most "
                               f"{MAX_RADIUS_M:g}")
    if polygon is not None:
        if not 3 <= len(polygon) <= MAX_POLYGON_POINTS:
            raise CatalogError(f"a polygon has 3 to {MAX_POLYGON_POINTS} points, not "
                               f"`{len(polygon)}`")
        for point in polygon:
            if len(point) != 2:
                raise CatalogError(f"polygon point `{list(point)}` is not [lat, lon]")
            _check_point(float(point[0]), float(point[1]))


class ZoneRecords(CatalogDatabase):
    """Collection zones of the `Catalog`."""

    def add_zone(
        self,
        agency_id: int,
        name: str,
        place: str,
        *,
        centre: tuple[float, float] | None = None,
        radius_m: float | None = None,
        polygon: Sequence[Sequence[float]] | None = None,
    ) -> Zone:
        """Record a zone of ``agency_id``: a circle (``centre`` as (lat, lon) and
        ``radius_m``) or a ``polygon`` of (lat, lon) points. Its rule id follows from the
        agency's packs and the kind of place (`rule_for`)."""
        if place not in ZONE_PLACES:
            raise CatalogError(f"place `{place}` is not one of {sorted(ZONE_PLACES)}")
        if not name.strip():
            raise CatalogError("a zone needs a name")
        _check_shape(centre, radius_m, polygon)
        with self._transaction() as session:
            agency = session.get(Agency, agency_id)
            if agency is None:
                raise NotFound(f"no agency `{agency_id}`")
            zone = Zone(
                agency_id=agency_id, name=name.strip(), place=place,
                centre_lat=None if centre is None else float(centre[0]),
                centre_lon=None if centre is None else float(centre[1]),
                radius_m=None if radius_m is None else float(radius_m),
                polygon=None if polygon is None else [[float(p[0]), float(p[1])]
                                                      for p in polygon],
                rule_id="pending",
            )
            session.add(zone)
            session.flush()
            zone.rule_id = rule_for(agency, place, zone.id)
            self._bump(session)
        return zone

    def revoke_zone(self, zone_id: int, *, agency_id: int | None = None) -> Zone:
        """Revoke a zone now (of ``agency_id``, when given: another agency's zone is
        reported as not found); from then on it no longer applies."""
        with self._transaction() as session:
            zone = session.get(Zone, zone_id)
            if zone is None or (agency_id is not None and zone.agency_id != agency_id):
                raise NotFound(f"no zone `{zone_id}`")
            if zone.revoked_at is not None:
                raise CatalogError(f"zone `{zone_id}` is already revoked")
            zone.revoked_at = utc_now()
            self._bump(session)
        return zone

    def zone(self, zone_id: int) -> Zone | None:
        with self._sessions() as session:
            return session.get(Zone, zone_id)

    def zones(self, agency_id: int | None = None, *, active_only: bool = False) -> list[Zone]:
        """Zones (revoked ones too unless ``active_only``), optionally of one agency, by id."""
        query = select(Zone).order_by(Zone.id)
        if agency_id is not None:
            query = query.where(Zone.agency_id == agency_id)
        if active_only:
            query = query.where(Zone.revoked_at.is_(None))
        with self._sessions() as session:
            return list(session.scalars(query))

    def active_zones(self, agency_id: int) -> list[ActiveZone]:
        """The active zones of ``agency_id``, ready to test points against."""
        return [ActiveZone(z.id, z.rule_id, zone_area(z))
                for z in self.zones(agency_id, active_only=True)]

    def zone_at(self, agency_id: int, lat: float, lon: float) -> ActiveZone | None:
        """The first active zone of ``agency_id`` containing (``lat``, ``lon``), if any."""
        for zone in self.active_zones(agency_id):
            if zone.contains(lat, lon):
                return zone
        return None
