"""Agencies and their cameras."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import select

from plateledger.catalog.database import CatalogDatabase
from plateledger.catalog.errors import CatalogError, Conflict, NotFound
from plateledger.catalog.models import (
    AGENCY_KINDS,
    CAMERA_KINDS,
    SHARING_PRESETS,
    Agency,
    Camera,
    Zone,
)
from plateledger.catalog.timeutil import utc_now
from plateledger.catalog.zones import zone_area

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CAMERA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
STATE = re.compile(r"^[A-Z]{2}$")
PACK_CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z]{2,16})?$")
"""A law pack code: a state's (``WA``) or an opt-in profile of one (``CA-STRICT``)."""

AGENCY_SETTINGS = frozenset(
    {
        "name",
        "jurisdiction",
        "law_packs",
        "purposes",
        "case_number_required",
        "custodian_contact",
        "retention_nonhit_days",
        "retention_hit_days",
        "retention_image_days",
        "is_law_enforcement",
        "lat",
        "lon",
        "sharing_preset",
        "sharing_states",
        "sharing_radius_km",
        "timezone",
        "portal_officer_names",
    }
)
"""What `update_agency` may change. ``kind``, ``home_state`` and ``slug`` are fixed at
creation: the requester class must not drift."""


_EASTERN, _CENTRAL, _MOUNTAIN, _PACIFIC = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
)

STATE_ZONES: dict[str, str] = {
    **dict.fromkeys(
        (
            "CT",
            "DC",
            "DE",
            "GA",
            "MA",
            "MD",
            "ME",
            "NC",
            "NH",
            "NJ",
            "NY",
            "OH",
            "PA",
            "RI",
            "SC",
            "VA",
            "VT",
            "WV",
        ),
        _EASTERN,
    ),
    "FL": _EASTERN,
    "IN": "America/Indiana/Indianapolis",
    "KY": "America/Kentucky/Louisville",
    "MI": "America/Detroit",
    **dict.fromkeys(
        (
            "AL",
            "AR",
            "IA",
            "IL",
            "KS",
            "LA",
            "MN",
            "MO",
            "MS",
            "ND",
            "NE",
            "OK",
            "SD",
            "TN",
            "TX",
            "WI",
        ),
        _CENTRAL,
    ),
    **dict.fromkeys(("CO", "MT", "NM", "UT", "WY"), _MOUNTAIN),
    "ID": "America/Boise",
    "AZ": "America/Phoenix",
    **dict.fromkeys(("CA", "NV", "OR", "WA"), _PACIFIC),
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
    "PR": "America/Puerto_Rico",
    "GU": "Pacific/Guam",
    "VI": "America/St_Thomas",
    "AS": "Pacific/Pago_Pago",
    "MP": "Pacific/Saipan",
}
"""The principal IANA zone of each state and territory (a state spanning two zones gets
the one most of its people live in): the one table of it, which the reports, the portal
and the audit export's local time (`plateledger.access.local_time`) all read."""


@cache
def _zones() -> frozenset[str]:
    """The IANA names of the system's zone database, less the files that name no zone of
    their own (the machine's ``localtime``, ``posixrules``, ``Factory``, the ``posix/`` and
    ``right/`` copies)."""
    return frozenset(
        z
        for z in available_timezones()
        if z not in ("localtime", "posixrules", "Factory")
        and not z.startswith(("posix/", "right/"))
    )


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone this system knows (``America/Chicago``), else a
    `CatalogError`."""
    if len(name) > 64 or name not in _zones():
        raise CatalogError(f"`{name[:64]}` is not an IANA time zone (like `America/Chicago`)")
    return name


def state_zone(home_state: str) -> str:
    """The principal IANA zone of ``home_state`` (``UTC`` for a state not in
    `STATE_ZONES`)."""
    return STATE_ZONES.get(home_state.strip().upper(), "UTC")


def timezone_of(timezone: str | None, home_state: str) -> str:
    """The zone of an agency whose ``timezone`` setting and home state are these: the
    setting when it is set, else the home state's principal zone."""
    return timezone if timezone else state_zone(home_state)


def agency_timezone(agency: Agency) -> str:
    """The IANA zone an agency's reports count its days in: its own ``timezone``, else the
    principal zone of its home state (``UTC`` for a state not in `STATE_ZONES`)."""
    return timezone_of(agency.timezone, agency.home_state)


def _check_days(name: str, value: int | None) -> None:
    # a clock of 0 days is not "keep none": no retention policy can hold it (a pack that
    # keeps non-hits for minutes, as New Hampshire's, sets its own clock)
    if value is not None and value < 1:
        raise CatalogError(f"`{name}` must be 1 day or more, not `{value}`")


def _check_agency(values: dict[str, Any]) -> None:
    for name in ("retention_nonhit_days", "retention_hit_days", "retention_image_days"):
        _check_days(name, values.get(name))
    for pack in values.get("law_packs") or ():
        if not PACK_CODE.match(pack):
            raise CatalogError(
                f"law pack `{pack}` is not a state code (`WA`) or a profile (`CA-STRICT`)"
            )
    if not str(values.get("name", "x")).strip():
        raise CatalogError("an agency needs a name")
    lat, lon = values.get("lat"), values.get("lon")
    if lat is not None and not -90 <= lat <= 90:
        raise CatalogError(f"latitude `{lat}` is outside -90..90")
    if lon is not None and not -180 <= lon <= 180:
        raise CatalogError(f"longitude `{lon}` is outside -180..180")
    for state in values.get("sharing_states") or ():
        if not STATE.match(state):
            raise CatalogError(f"state `{state}` must be a two-letter code like `CA`")
    if values.get("timezone") is not None:
        check_timezone(str(values["timezone"]))
    if "portal_officer_names" in values and not isinstance(values["portal_officer_names"], bool):
        raise CatalogError("`portal_officer_names` is true or false")


def _check_sharing(agency: Agency) -> None:
    """The agency's sharing preset, as it will be after a change, is one policy compiles."""
    preset, states, radius = agency.sharing_preset, agency.sharing_states, agency.sharing_radius_km
    if preset not in SHARING_PRESETS:
        raise CatalogError(f"sharing preset `{preset}` is not one of {sorted(SHARING_PRESETS)}")
    if (preset == "named_states") != bool(states):
        raise CatalogError("a `named_states` preset, and only it, names its states")
    if (preset == "radius") != (radius is not None):
        raise CatalogError("a `radius` preset, and only it, has a radius")
    if radius is not None and not 0 < radius <= 5000:
        raise CatalogError(f"radius `{radius}` km must be above 0 and at most 5000")
    if preset == "radius" and (agency.lat is None or agency.lon is None):
        raise CatalogError("a `radius` preset needs the agency's seat (`lat` and `lon`)")


class AgencyRecords(CatalogDatabase):
    """Agencies and cameras of the `Catalog`."""

    def add_agency(
        self,
        name: str,
        slug: str,
        kind: str,
        home_state: str,
        *,
        jurisdiction: str = "",
        law_packs: Sequence[str] | None = None,
        purposes: Sequence[str] | None = None,
        case_number_required: bool = False,
        custodian_contact: str = "",
        retention_nonhit_days: int | None = None,
        retention_hit_days: int | None = None,
        retention_image_days: int | None = None,
        is_law_enforcement: bool | None = None,
    ) -> Agency:
        """Add an agency. ``kind`` is one of `AGENCY_KINDS`; ``home_state`` a two-letter
        code; ``law_packs`` defaults to ``[home_state]`` — none for a ``federal`` agency,
        whose data no state's ALPR law governs (a federal unit based in California is
        not a California agency: under the California pack it was refused its own reads);
        ``is_law_enforcement`` defaults to true for every kind but ``private``."""
        if not SLUG.match(slug):
            raise CatalogError(f"slug `{slug}` must be lower-case letters, digits and dashes")
        if kind not in AGENCY_KINDS:
            raise CatalogError(f"agency kind `{kind}` is not one of {sorted(AGENCY_KINDS)}")
        if not STATE.match(home_state):
            raise CatalogError(f"home state `{home_state}` must be a two-letter code like `CA`")
        values: dict[str, Any] = {
            "name": name.strip(),
            "slug": slug,
            "kind": kind,
            "home_state": home_state,
            "jurisdiction": jurisdiction,
            "law_packs": (list(law_packs) if law_packs is not None
                          else [] if kind == "federal" else [home_state]),
            "purposes": list(purposes) if purposes is not None else None,
            "case_number_required": case_number_required,
            "custodian_contact": custodian_contact,
            "retention_nonhit_days": retention_nonhit_days,
            "retention_hit_days": retention_hit_days,
            "retention_image_days": retention_image_days,
            "is_law_enforcement": (
                kind != "private" if is_law_enforcement is None else is_law_enforcement
            ),
        }
        _check_agency(values)
        with self._transaction() as session:
            if session.scalar(select(Agency.id).where(Agency.slug == slug)) is not None:
                raise Conflict(f"an agency with slug `{slug}` exists")
            agency = Agency(**values)
            session.add(agency)
            self._bump(session)
        return agency

    def update_agency(self, agency_id: int, **changes: Any) -> Agency:
        """Change the settings named in `AGENCY_SETTINGS` of agency ``agency_id``: among
        them its seat (``lat``, ``lon``) and its sharing preset (``sharing_preset``, with
        ``sharing_states`` for ``named_states`` and ``sharing_radius_km`` for ``radius``),
        refused unless the agency as changed is consistent."""
        unknown = set(changes) - AGENCY_SETTINGS
        if unknown:
            raise CatalogError(f"cannot change `{', '.join(sorted(unknown))}` of an agency")
        _check_agency(changes)
        with self._transaction() as session:
            agency = session.get(Agency, agency_id)
            if agency is None:
                raise NotFound(f"no agency `{agency_id}`")
            for name, value in changes.items():
                setattr(agency, name, list(value) if isinstance(value, list | tuple) else value)
            _check_sharing(agency)
            agency.updated_at = utc_now()
            self._bump(session)
        return agency

    def set_agency_class(
        self,
        agency_id: int,
        *,
        kind: str | None = None,
        home_state: str | None = None,
        is_law_enforcement: bool | None = None,
    ) -> Agency:
        """Change the requester class of an agency — what the law packs ask about. For the
        platform's operator (the CLI) only: an agency's own administrator may not change
        the class its requests are judged by."""
        changes: dict[str, Any] = {}
        if kind is not None:
            if kind not in AGENCY_KINDS:
                raise CatalogError(f"agency kind `{kind}` is not one of {sorted(AGENCY_KINDS)}")
            changes["kind"] = kind
        if home_state is not None:
            if not STATE.match(home_state):
                raise CatalogError(f"home state `{home_state}` must be a two-letter code like `CA`")
            changes["home_state"] = home_state
        if is_law_enforcement is not None:
            changes["is_law_enforcement"] = is_law_enforcement
        if not changes:
            raise CatalogError("name at least one of kind, home state, law enforcement")
        with self._transaction() as session:
            agency = session.get(Agency, agency_id)
            if agency is None:
                raise NotFound(f"no agency `{agency_id}`")
            for name, value in changes.items():
                setattr(agency, name, value)
            agency.updated_at = utc_now()
            self._bump(session)
        return agency

    def agencies(self) -> list[Agency]:
        """Every agency, by id."""
        with self._sessions() as session:
            return list(session.scalars(select(Agency).order_by(Agency.id)))

    def agency(self, agency_id: int) -> Agency | None:
        with self._sessions() as session:
            return session.get(Agency, agency_id)

    def agency_by_slug(self, slug: str) -> Agency | None:
        with self._sessions() as session:
            return session.scalar(select(Agency).where(Agency.slug == slug))

    def add_camera(
        self,
        camera_id: str,
        owner_id: int,
        kind: str = "fixed",
        *,
        name: str = "",
        lat: float | None = None,
        lon: float | None = None,
        heading: float | None = None,
        active: bool = True,
    ) -> Camera:
        """Add a camera of agency ``owner_id``. A fixed camera needs ``lat`` and ``lon``;
        no camera is registered at a position inside an active zone of its agency."""
        if not CAMERA_ID.match(camera_id):
            raise CatalogError(f"camera id `{camera_id}` must be letters, digits and `._:-`")
        if kind not in CAMERA_KINDS:
            raise CatalogError(f"camera kind `{kind}` is not one of {sorted(CAMERA_KINDS)}")
        if kind == "fixed" and (lat is None or lon is None):
            raise CatalogError(f"fixed camera `{camera_id}` needs a latitude and a longitude")
        if lat is not None and not -90 <= lat <= 90:
            raise CatalogError(f"latitude `{lat}` is outside -90..90")
        if lon is not None and not -180 <= lon <= 180:
            raise CatalogError(f"longitude `{lon}` is outside -180..180")
        if heading is not None and not 0 <= heading < 360:
            raise CatalogError(f"heading `{heading}` is outside 0..360")
        with self._transaction() as session:
            if session.get(Agency, owner_id) is None:
                raise NotFound(f"no agency `{owner_id}`")
            taken = select(Camera.id).where(Camera.camera_id == camera_id)
            if session.scalar(taken) is not None:
                raise Conflict(f"a camera `{camera_id}` exists")
            if lat is not None and lon is not None:
                in_force = (
                    select(Zone)
                    .where(Zone.agency_id == owner_id, Zone.revoked_at.is_(None))
                    .order_by(Zone.id)
                )
                for zone in session.scalars(in_force):
                    if zone_area(zone).contains(lat, lon):
                        raise CatalogError(
                            f"camera `{camera_id}` would stand inside zone {zone.id} "
                            f"(`{zone.name}`), where rule `{zone.rule_id}` forbids collection"
                        )
            camera = Camera(
                camera_id=camera_id,
                owner_id=owner_id,
                kind=kind,
                name=name,
                lat=lat,
                lon=lon,
                heading=heading,
                active=active,
            )
            session.add(camera)
            self._bump(session)
        return camera

    def set_camera_active(self, camera_id: str, active: bool) -> Camera:
        with self._transaction() as session:
            camera = session.scalar(select(Camera).where(Camera.camera_id == camera_id))
            if camera is None:
                raise NotFound(f"no camera `{camera_id}`")
            camera.active = active
            self._bump(session)
        return camera

    def cameras(self, owner_id: int | None = None) -> list[Camera]:
        """Every camera, or those of ``owner_id``, by camera id."""
        query = select(Camera).order_by(Camera.camera_id)
        if owner_id is not None:
            query = query.where(Camera.owner_id == owner_id)
        with self._sessions() as session:
            return list(session.scalars(query))

    def camera(self, camera_id: str) -> Camera | None:
        with self._sessions() as session:
            return session.scalar(select(Camera).where(Camera.camera_id == camera_id))
