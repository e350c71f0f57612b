"""Agencies and cameras: what the catalog accepts, refuses and counts as a change."""

from __future__ import annotations

from typing import Any

import pytest

from plateledger.catalog import Catalog, CatalogError, Conflict, NotFound


def test_an_agency_gets_its_home_state_pack_and_is_law_enforcement_by_default(
    catalog: Catalog,
) -> None:
    agency = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    stored = catalog.agency(agency.id)
    assert stored is not None
    assert (stored.name, stored.kind, stored.home_state) == ("Union City PD", "municipal", "CA")
    assert stored.law_packs == ["CA"]
    assert stored.purposes is None
    assert stored.is_law_enforcement
    assert stored.retention_nonhit_days is None


def test_a_private_agency_is_not_law_enforcement(catalog: Catalog) -> None:
    agency = catalog.add_agency("Mall Security", "mall", "private", "CA")
    assert not agency.is_law_enforcement


def test_agency_settings_are_kept(catalog: Catalog) -> None:
    agency = catalog.add_agency(
        "Chicago PD", "cpd", "municipal", "IL", jurisdiction="City of Chicago",
        law_packs=["IL", "CA"], purposes=["stolen_vehicle"], case_number_required=True,
        custodian_contact="records@cpd.example", retention_nonhit_days=30,
        retention_hit_days=365, retention_image_days=7,
    )
    stored = catalog.agency_by_slug("cpd")
    assert stored is not None and stored.id == agency.id
    assert stored.law_packs == ["IL", "CA"]
    assert stored.purposes == ["stolen_vehicle"]
    assert stored.case_number_required
    assert (stored.retention_nonhit_days, stored.retention_hit_days) == (30, 365)
    assert stored.retention_image_days == 7
    assert stored.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("slug", "kind", "home_state", "message"),
    [
        ("ucpd", "city", "CA", "agency kind `city`"),
        ("ucpd", "municipal", "California", "home state `California`"),
        ("ucpd", "municipal", "ca", "home state `ca`"),
        ("UC PD", "municipal", "CA", "slug `UC PD`"),
    ],
)
def test_an_agency_outside_the_closed_lists_is_refused(
    catalog: Catalog, slug: str, kind: str, home_state: str, message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        catalog.add_agency("Union City PD", slug, kind, home_state)
    assert catalog.agencies() == []


def test_a_slug_is_unique(catalog: Catalog) -> None:
    catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    with pytest.raises(Conflict, match="`ucpd`"):
        catalog.add_agency("Other", "ucpd", "county", "CA")


def test_updating_an_agency_changes_settings_but_never_its_class(catalog: Catalog) -> None:
    agency = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    updated = catalog.update_agency(agency.id, retention_nonhit_days=60)
    assert updated.retention_nonhit_days == 60
    for field in ("kind", "home_state", "slug"):
        with pytest.raises(CatalogError, match=field):
            catalog.update_agency(agency.id, **{field: "federal"})
    assert catalog.agency(agency.id).kind == "municipal"  # type: ignore[union-attr]


def test_every_change_bumps_the_generation(catalog: Catalog) -> None:
    start = catalog.generation()
    agency = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    catalog.update_agency(agency.id, jurisdiction="Union City")
    catalog.add_camera("ucpd-fx-001", agency.id, "fixed", lat=37.6, lon=-122.0)
    catalog.set_camera_active("ucpd-fx-001", False)
    assert catalog.generation() == start + 4


def test_a_refused_change_does_not_bump_the_generation(catalog: Catalog) -> None:
    catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    before = catalog.generation()
    with pytest.raises(Conflict):
        catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    assert catalog.generation() == before


def test_cameras_are_listed_per_owner(catalog: Catalog) -> None:
    ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    catalog.add_camera("ucpd-fx-012", ucpd.id, "fixed", name="Alvarado", lat=37.59,
                       lon=-122.02, heading=90)
    catalog.add_camera("ucpd-mb-001", ucpd.id, "mobile")
    catalog.add_camera("fpd-fx-001", fpd.id, "fixed", lat=37.5, lon=-121.9)
    assert [c.camera_id for c in catalog.cameras(owner_id=ucpd.id)] == [
        "ucpd-fx-012", "ucpd-mb-001"
    ]
    assert len(catalog.cameras()) == 3
    camera = catalog.camera("ucpd-fx-012")
    assert camera is not None
    assert (camera.owner_id, camera.lat, camera.lon, camera.heading) == (
        ucpd.id, 37.59, -122.02, 90
    )
    assert catalog.camera("nope") is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "fixed"}, "needs a latitude"),
        ({"kind": "drone"}, "camera kind `drone`"),
        ({"kind": "mobile", "lat": 91.0, "lon": 0.0}, "latitude `91.0`"),
        ({"kind": "mobile", "heading": 360.0}, "heading `360.0`"),
    ],
)
def test_a_camera_with_bad_settings_is_refused(
    catalog: Catalog, arguments: dict[str, Any], message: str
) -> None:
    agency = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    with pytest.raises(CatalogError, match=message):
        catalog.add_camera("ucpd-fx-001", agency.id, **arguments)


def test_a_camera_needs_an_existing_owner_and_a_free_id(catalog: Catalog) -> None:
    agency = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    with pytest.raises(NotFound):
        catalog.add_camera("x-1", agency.id + 99, "mobile")
    catalog.add_camera("x-1", agency.id, "mobile")
    with pytest.raises(Conflict):
        catalog.add_camera("x-1", agency.id, "mobile")


def test_an_agency_may_carry_an_opt_in_profile_beside_its_state_pack(catalog: Catalog) -> None:
    agency = catalog.add_agency("SFPD", "sfpd", "municipal", "CA", law_packs=["CA", "CA-STRICT"])
    assert agency.law_packs == ["CA", "CA-STRICT"]
    updated = catalog.update_agency(agency.id, law_packs=["CA"])
    assert updated.law_packs == ["CA"]


@pytest.mark.parametrize("pack", ["california", "ca", "CA STRICT", "CA-", "C"])
def test_a_law_pack_that_is_no_state_code_or_profile_is_refused(
    catalog: Catalog, pack: str
) -> None:
    with pytest.raises(CatalogError, match=f"law pack `{pack}` is not a state code"):
        catalog.add_agency("SFPD", "sfpd", "municipal", "CA", law_packs=[pack])
