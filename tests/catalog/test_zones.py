"""Collection zones in the catalog: shapes, rule ids, revocation."""

from __future__ import annotations

import pytest

from plateledger.catalog import Catalog, CatalogError, NotFound

SCHOOL = (47.6097, -122.3331)


def test_an_agencys_own_zone_is_under_its_own_rule(catalog: Catalog) -> None:
    ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    zone = catalog.add_zone(ucpd.id, "Alvarado Elementary", "school", centre=SCHOOL,
                            radius_m=200)
    assert zone.rule_id == f"agency-zone-{zone.id}"
    assert catalog.zone_at(ucpd.id, *SCHOOL) is not None
    assert catalog.zone_at(ucpd.id, SCHOOL[0] + 0.01, SCHOOL[1]) is None


def test_a_wa_agencys_sensitive_location_is_under_the_packs_rule(catalog: Catalog) -> None:
    spd = catalog.add_agency("Seattle PD", "spd", "municipal", "WA")
    school = catalog.add_zone(spd.id, "Garfield High", "school", centre=SCHOOL, radius_m=150)
    clinic = catalog.add_zone(spd.id, "Clinic", "health_care", polygon=[
        (47.60, -122.30), (47.60, -122.29), (47.61, -122.29)])
    assert school.rule_id == "wa-sb6002-sensitive-location"
    assert clinic.rule_id == f"agency-zone-{clinic.id}"
    found = catalog.zone_at(spd.id, 47.601, -122.291)
    assert found is not None and found.zone_id == clinic.id


def test_a_revoked_zone_no_longer_applies(catalog: Catalog) -> None:
    ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    zone = catalog.add_zone(ucpd.id, "Church", "place_of_worship", centre=SCHOOL,
                            radius_m=100)
    before = catalog.generation()
    revoked = catalog.revoke_zone(zone.id, agency_id=ucpd.id)
    assert revoked.revoked_at is not None and catalog.generation() > before
    assert catalog.zone_at(ucpd.id, *SCHOOL) is None
    assert [z.id for z in catalog.zones(ucpd.id)] == [zone.id]
    assert catalog.zones(ucpd.id, active_only=True) == []
    with pytest.raises(CatalogError, match="already revoked"):
        catalog.revoke_zone(zone.id)


def test_another_agencys_zone_is_not_found_and_does_not_apply(catalog: Catalog) -> None:
    ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    zone = catalog.add_zone(ucpd.id, "Court", "courthouse", centre=SCHOOL, radius_m=100)
    assert catalog.zone_at(fpd.id, *SCHOOL) is None
    with pytest.raises(NotFound, match=f"no zone `{zone.id}`"):
        catalog.revoke_zone(zone.id, agency_id=fpd.id)


@pytest.mark.parametrize(("shape", "message"), [
    ({"centre": SCHOOL}, "circle needs both its centre and its radius"),
    ({}, "needs a shape"),
    ({"centre": SCHOOL, "radius_m": 100, "polygon": [(0, 0), (0, 1), (1, 1)]}, "not both"),
    ({"centre": SCHOOL, "radius_m": 0}, "radius"),
    ({"centre": (91.0, 0.0), "radius_m": 10}, "latitude `91.0`"),
    ({"polygon": [(0, 0), (0, 1)]}, "3 to"),
])
def test_a_bad_shape_is_refused(catalog: Catalog, shape: dict[str, object],
                                message: str) -> None:
    ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    with pytest.raises(CatalogError, match=message):
        catalog.add_zone(ucpd.id, "x", "school", **shape)  # type: ignore[arg-type]


def test_an_unknown_place_is_refused(catalog: Catalog) -> None:
    ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    with pytest.raises(CatalogError, match="place `mall`"):
        catalog.add_zone(ucpd.id, "Mall", "mall", centre=SCHOOL, radius_m=10)


def test_a_fixed_camera_inside_an_active_zone_is_refused(catalog: Catalog) -> None:
    spd = catalog.add_agency("Seattle PD", "spd", "municipal", "WA")
    zone = catalog.add_zone(spd.id, "Garfield High", "school", centre=SCHOOL, radius_m=150)
    with pytest.raises(CatalogError, match="wa-sb6002-sensitive-location"):
        catalog.add_camera("spd-fx-1", spd.id, "fixed", lat=SCHOOL[0], lon=SCHOOL[1])
    assert catalog.camera("spd-fx-1") is None
    # outside the zone, a mobile camera without a position, another agency: all fine
    catalog.add_camera("spd-fx-2", spd.id, "fixed", lat=SCHOOL[0] + 0.01, lon=SCHOOL[1])
    catalog.add_camera("spd-mob-1", spd.id, "mobile")
    other = catalog.add_agency("King County SO", "kcso", "county", "WA")
    catalog.add_camera("kcso-fx-1", other.id, "fixed", lat=SCHOOL[0], lon=SCHOOL[1])
    # once revoked, the zone no longer refuses the camera
    catalog.revoke_zone(zone.id)
    catalog.add_camera("spd-fx-1", spd.id, "fixed", lat=SCHOOL[0], lon=SCHOOL[1])
