"""Zone changes and their audit entries commit together."""

from __future__ import annotations

import pytest

from plateledger.access import AuditUnavailable
from plateledger.catalog import NotFound
from tests.access.test_admin_changes import Desk, desk, postgres_catalog_url

__all__ = ["desk", "postgres_catalog_url"]  # fixtures, used by name

SCHOOL = (37.5934, -122.0439)


def test_a_zone_added_and_revoked_is_in_the_log_with_values_before_and_after(
    desk: Desk,
) -> None:
    zone = desk.changes.add_zone(desk.admin, desk.ucpd.id, "Alvarado Elementary", "school",
                                 centre=SCHOOL, radius_m=150)
    added = desk.last()
    assert (added["type"], added["change"], added["zone_id"]) == ("zone_change", "add", zone.id)
    assert (added["owner_agency"], added["rule_id"]) == ("ucpd", f"agency-zone-{zone.id}")
    assert added["before"] is None
    assert added["after"]["radius_m"] == 150 and added["after"]["place"] == "school"

    desk.changes.revoke_zone(desk.admin, zone.id, agency_id=desk.ucpd.id)
    revoked = desk.last()
    assert (revoked["change"], revoked["before"]) == ("revoke", {"revoked_at": None})
    assert revoked["after"]["revoked_at"] is not None


def test_no_entry_no_zone(desk: Desk) -> None:
    generation = desk.catalog.generation()
    desk.break_log()
    with pytest.raises(AuditUnavailable, match="nothing was changed"):
        desk.changes.add_zone(desk.admin, desk.ucpd.id, "Court", "courthouse",
                              centre=SCHOOL, radius_m=100)
    assert desk.catalog.zones() == [] and desk.catalog.generation() == generation


def test_another_agencys_zone_cannot_be_revoked(desk: Desk) -> None:
    zone = desk.changes.add_zone(desk.admin, desk.ucpd.id, "Court", "courthouse",
                                 centre=SCHOOL, radius_m=100)
    with pytest.raises(NotFound):
        desk.changes.revoke_zone(desk.admin, zone.id, agency_id=desk.fpd.id)
    assert desk.catalog.zones(desk.ucpd.id, active_only=True) != []
