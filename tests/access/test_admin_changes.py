"""Administrative changes and their audit entries commit together, on SQLite and on
PostgreSQL: an entry that cannot be appended means the change is not made, and the log
alone says who changed what, when, from which value to which."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from plateledger.access import AuditUnavailable
from plateledger.access.admin_changes import Actor, AdminChanges
from plateledger.audit import AuditLog
from plateledger.catalog import Agency, Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.catalog.conftest import ENGINES, _empty_postgres, postgres_catalog_url

__all__ = ["postgres_catalog_url"]  # a fixture, used by name

PASSWORD = "correct horse battery staple"


@dataclass
class Desk:
    catalog: Catalog
    log: AuditLog
    changes: AdminChanges
    admin: Actor
    ucpd: Agency
    fpd: Agency

    def last(self) -> dict[str, Any]:
        return self.log.entry(self.log.size() - 1).entry

    def break_log(self) -> None:
        """Lose the audit table: every append fails from now on."""
        cascade = " CASCADE" if self.catalog.engine.dialect.name == "postgresql" else ""
        with self.catalog.engine.begin() as conn:
            conn.execute(text(f"DROP TABLE audit_entries{cascade}"))


@pytest.fixture(params=ENGINES)
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_catalog_url")
    catalog = open_catalog(Settings(data_dir=tmp_path, catalog_url=url, secret_key="s" * 32,
                                    require_totp=False), password_hasher=FAST)
    log = AuditLog(catalog.engine, signer=None)
    log.create_tables()  # a test before may have lost the table
    if catalog.engine.dialect.name == "postgresql":
        _empty_postgres(catalog)
    ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    try:
        yield Desk(catalog, log, AdminChanges(catalog, log), Actor("ucpd-admin", ucpd.id),
                   ucpd, fpd)
    finally:
        catalog.close()


def test_who_turned_this_sharing_on_and_when_is_in_the_log(desk: Desk) -> None:
    agreement = desk.changes.add_agreement(
        desk.admin, desk.ucpd.id, desk.fpd.id, actions=["search"],
        purposes=["stolen_vehicle"], created_by="chief", max_lookback_days=30)

    entry = desk.last()
    assert entry["type"] == "agreement_change" and entry["change"] == "add"
    assert (entry["user"], entry["agency_id"], entry["via"]) == ("ucpd-admin", desk.ucpd.id,
                                                                 "api")
    assert (entry["owner_agency"], entry["partner_agency"]) == ("ucpd", "fpd")
    assert entry["agreement_id"] == agreement.id and entry["before"] is None
    assert entry["after"]["actions"] == ["search"]
    assert entry["after"]["max_lookback_days"] == 30
    assert datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
    assert entry["policy_set_hash"]

    desk.changes.revoke_agreement(desk.admin, agreement.id, owner_id=desk.ucpd.id)
    revoked = desk.last()
    assert (revoked["change"], revoked["before"]) == ("revoke", {"revoked_at": None})
    assert revoked["after"]["revoked_at"] is not None
    assert revoked["policy_set_hash"] != entry["policy_set_hash"]  # the grant is gone


def test_an_entry_carries_the_values_before_and_after(desk: Desk) -> None:
    desk.changes.update_agency(desk.admin, desk.ucpd.id, case_number_required=True,
                               purposes=["homicide"])
    entry = desk.last()
    assert entry["before"] == {"case_number_required": False, "purposes": None}
    assert entry["after"] == {"case_number_required": True, "purposes": ["homicide"]}


Change = Callable[[Desk], object]
Unchanged = Callable[[Desk], bool]

CHANGES: list[tuple[str, Change, Unchanged]] = [
    ("add a user",
     lambda d: d.changes.add_user(d.admin, d.ucpd.id, "ivy", PASSWORD, ["admin"]),
     lambda d: d.catalog.user_by_username("ivy") is None),
    ("share data",
     lambda d: d.changes.add_agreement(d.admin, d.ucpd.id, d.fpd.id, actions=["search"],
                                       purposes=["stolen_vehicle"], created_by="chief"),
     lambda d: d.catalog.agreements() == []),
    ("change settings",
     lambda d: d.changes.update_agency(d.admin, d.ucpd.id, case_number_required=True),
     lambda d: d.catalog.agency(d.ucpd.id).case_number_required is False),  # type: ignore[union-attr]
    ("add a camera",
     lambda d: d.changes.add_camera(d.admin, "uc-1", d.ucpd.id, "fixed", lat=37.6, lon=-122.0),
     lambda d: d.catalog.camera("uc-1") is None),
    ("issue a key",
     lambda d: d.changes.issue_key(d.admin, d.ucpd.id, None, "gate"),
     lambda d: d.catalog.api_keys() == []),
    ("reclassify an agency",
     lambda d: d.changes.set_agency_class(Actor.operator(), d.ucpd.id, kind="federal"),
     lambda d: d.catalog.agency(d.ucpd.id).kind == "municipal"),  # type: ignore[union-attr]
]


@pytest.mark.parametrize(("name", "change", "unchanged"), CHANGES, ids=[c[0] for c in CHANGES])
def test_no_entry_means_no_change(
    desk: Desk, name: str, change: Change, unchanged: Unchanged
) -> None:
    generation = desk.catalog.generation()
    desk.break_log()
    with pytest.raises(AuditUnavailable, match="nothing was changed"):
        change(desk)
    assert unchanged(desk), name
    assert desk.catalog.generation() == generation


def test_a_users_tokens_survive_a_revocation_that_was_not_logged(desk: Desk) -> None:
    user = desk.catalog.add_user(desk.ucpd.id, "ivy", PASSWORD, ["admin"])
    token = desk.catalog.issue_token(user)
    desk.break_log()
    with pytest.raises(AuditUnavailable):
        desk.changes.revoke_tokens(desk.admin, "ivy")
    assert desk.catalog.user_for_token(token) is not None
