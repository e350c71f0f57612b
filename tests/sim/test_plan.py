"""The default city plan: who owns which cameras, and the shape of their ids."""

from __future__ import annotations

import dataclasses
import re

import pytest

from plateledger.sim import DEFAULT_AGENCIES, CityPlan, SimAgency, default_plan


def test_agencies_cover_every_requester_class_the_law_packs_ask_about() -> None:
    kinds = {(a.kind, a.home_state) for a in DEFAULT_AGENCIES}
    assert ("municipal", "CA") in kinds
    assert ("county", "CA") in kinds
    assert ("state", "CA") in kinds
    assert ("federal", "CA") in kinds
    assert ("municipal", "NV") in kinds
    assert [a.id for a in DEFAULT_AGENCIES] == list(range(1, len(DEFAULT_AGENCIES) + 1))


def test_the_federal_agency_owns_no_cameras_and_reno_owns_a_few_outside_the_city() -> None:
    plan = default_plan()
    federal = {a.id for a in plan.agencies if a.kind == "federal"}
    assert not federal & plan.camera_owner_ids
    reno = [c for c in plan.cameras if plan.agency(c.owner_id).home_state == "NV"]
    assert 0 < len(reno) <= 6
    assert not any(c.in_city for c in reno)


@pytest.mark.parametrize(
    ("kind", "pattern"), [("fixed", r"[a-z]+-fx-\d{3}"), ("mobile", r"[a-z]+-car-\d{2}")]
)
def test_camera_ids_name_owner_and_kind(kind: str, pattern: str) -> None:
    plan = default_plan()
    for camera in plan.cameras:
        if camera.kind == kind:
            assert re.fullmatch(pattern, camera.camera_id)
            assert camera.camera_id.startswith(plan.agency(camera.owner_id).slug + "-")
    ids = [c.camera_id for c in plan.cameras]
    assert len(set(ids)) == len(ids)


def test_plan_is_frozen() -> None:
    plan = default_plan()
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.vehicles = 1  # type: ignore[misc]


def test_a_camera_without_a_known_owner_is_refused() -> None:
    plan = default_plan()
    with pytest.raises(ValueError, match="no known owner"):
        CityPlan(agencies=plan.agencies[1:], grid=plan.grid, cameras=plan.cameras,
                 patrols=plan.patrols)


def test_an_agency_kind_outside_the_closed_list_is_refused() -> None:
    with pytest.raises(ValueError, match="agency kind"):
        SimAgency(9, "Vendor", "vendor", "CA", "v")
