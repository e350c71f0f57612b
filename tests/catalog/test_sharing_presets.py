"""An agency's seat and sharing preset: kept as agency settings, refused unless the policy
can compile them."""

from __future__ import annotations

import pytest

from plateledger.catalog import Catalog, CatalogError
from plateledger.catalog.models import SHARING_PRESETS
from plateledger.policy import PresetKind, preset_from_settings


def test_the_catalog_knows_exactly_the_presets_the_policy_compiles() -> None:
    assert {k.value for k in PresetKind} == SHARING_PRESETS


def test_an_agency_shares_under_agreements_only_until_it_chooses(catalog: Catalog) -> None:
    agency = catalog.add_agency("Houston PD", "hpd", "municipal", "TX")
    assert (agency.sharing_preset, agency.sharing_states, agency.sharing_radius_km) == (
        "agreements", None, None)
    preset = preset_from_settings(agency.id, agency.sharing_preset, agency.sharing_states,
                                  agency.sharing_radius_km)
    assert preset.kind is PresetKind.AGREEMENTS


def test_a_named_states_preset_keeps_its_states_and_compiles(catalog: Catalog) -> None:
    agency = catalog.add_agency("Houston PD", "hpd", "municipal", "TX")
    changed = catalog.update_agency(agency.id, sharing_preset="named_states",
                                    sharing_states=["NM", "OK"])
    preset = preset_from_settings(changed.id, changed.sharing_preset, changed.sharing_states,
                                  changed.sharing_radius_km)
    assert preset.states == {"NM", "OK"}
    back = catalog.update_agency(agency.id, sharing_preset="in_state", sharing_states=None)
    assert (back.sharing_preset, back.sharing_states) == ("in_state", None)


def test_a_radius_preset_needs_the_agency_seat(catalog: Catalog) -> None:
    agency = catalog.add_agency("Houston PD", "hpd", "municipal", "TX")
    with pytest.raises(CatalogError, match="needs the agency's seat"):
        catalog.update_agency(agency.id, sharing_preset="radius", sharing_radius_km=40.0)
    stored = catalog.agency(agency.id)
    assert stored is not None and stored.sharing_preset == "agreements"
    changed = catalog.update_agency(agency.id, lat=29.76, lon=-95.37, sharing_preset="radius",
                                    sharing_radius_km=40.0)
    assert (changed.sharing_preset, changed.sharing_radius_km) == ("radius", 40.0)


@pytest.mark.parametrize(("changes", "message"), [
    ({"sharing_preset": "everyone"}, "sharing preset `everyone` is not one of"),
    ({"sharing_preset": "named_states"}, "a `named_states` preset, and only it, names"),
    ({"sharing_states": ["TX"]}, "a `named_states` preset, and only it, names"),
    ({"sharing_preset": "named_states", "sharing_states": ["Texas"]}, "state `Texas`"),
    ({"sharing_radius_km": 10.0}, "a `radius` preset, and only it, has a radius"),
    ({"lat": 91.0}, "latitude `91.0` is outside"),
])
def test_a_preset_the_policy_cannot_compile_is_refused(
    catalog: Catalog, changes: dict[str, object], message: str
) -> None:
    agency = catalog.add_agency("Houston PD", "hpd", "municipal", "TX")
    with pytest.raises(CatalogError, match=message):
        catalog.update_agency(agency.id, **changes)
