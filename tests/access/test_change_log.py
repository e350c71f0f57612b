"""The change log answers "who turned this sharing on, and when — and off, and what was
it" from the entries alone; a revocation that cannot be logged is not made."""

from __future__ import annotations

import pytest

from plateledger.access import AuditUnavailable
from tests.access.test_admin_changes import (  # noqa: F401  (fixtures used by name)
    Desk,
    desk,
    postgres_catalog_url,
)


def test_a_sharing_agreements_life_is_in_the_log_with_before_and_after(
    desk: Desk,  # noqa: F811
) -> None:
    agreement = desk.changes.add_agreement(
        desk.admin, desk.ucpd.id, desk.fpd.id, actions=["search"],
        purposes=["stolen_vehicle"], created_by="chief", max_lookback_days=30)
    on = desk.last()
    desk.changes.revoke_agreement(desk.admin, agreement.id, owner_id=desk.ucpd.id)
    off = desk.last()

    assert (on["change"], on["before"]) == ("add", None)
    assert on["after"]["purposes"] == ["stolen_vehicle"] and on["user"] == "ucpd-admin"
    assert off["change"] == "revoke" and off["agreement_id"] == agreement.id
    assert off["before"] == {"revoked_at": None} and off["after"]["revoked_at"]
    # the terms that were in force until the revocation, from this entry alone
    assert off["terms"]["actions"] == ["search"]
    assert off["terms"]["max_lookback_days"] == 30 and off["terms"]["revoked_at"] is None
    assert (off["owner_agency"], off["partner_agency"], off["user"]) == (
        "ucpd", "fpd", "ucpd-admin")
    assert on["time"] <= off["time"]


def test_a_revocation_that_cannot_be_logged_is_not_made(desk: Desk) -> None:  # noqa: F811
    agreement = desk.changes.add_agreement(
        desk.admin, desk.ucpd.id, desk.fpd.id, actions=["search"],
        purposes=["stolen_vehicle"], created_by="chief")
    generation = desk.catalog.generation()
    desk.break_log()
    with pytest.raises(AuditUnavailable, match="nothing was changed"):
        desk.changes.revoke_agreement(desk.admin, agreement.id, owner_id=desk.ucpd.id)
    still = desk.catalog.agreement(agreement.id)
    assert still is not None and still.revoked_at is None  # the sharing stays in force
    assert desk.catalog.generation() == generation
