"""The access layer over real engines: a SQLite catalog holding the audit log and the
holds, the embedded chDB read store, image files, and the Cedar engine compiled from the
catalog — the same parts the server wires together, without HTTP.

Two California cities: Union City (``ucpd``, the requester in most tests) and Fremont
(``fpd``, an owner that shares only what a test's agreement says).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plateledger.access import AccessGate
from plateledger.access.policy_source import PolicyDecider, PolicySource
from plateledger.audit import AuditLog, NoteSigner
from plateledger.catalog import Agency, Catalog, Principal, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.read import PlateRead
from plateledger.retention import HoldStore
from plateledger.settings import Settings
from plateledger.store import ReadStore
from plateledger.store.images import ImageStore

PASSWORD = "correct horse battery staple"
PURPOSE = "stolen_vehicle"
CASE = "UC-2026-0412"
REASON = "grey van taken from the depot on 4th street"


@dataclass
class Office:
    """What the access functions are given, and the two agencies of the tests."""

    catalog: Catalog
    audit_log: AuditLog
    policy: PolicySource
    gate: AccessGate
    store: ReadStore
    holds: HoldStore
    images: ImageStore
    ucpd: Agency
    fpd: Agency

    def user(self, agency: Agency, username: str, *roles: str) -> Principal:
        """A new user of ``agency`` with ``roles``, as a valid token makes them."""
        account = self.catalog.add_user(agency.id, username, PASSWORD, list(roles))
        principal = self.catalog.user_for_token(self.catalog.issue_token(account))
        assert principal is not None
        return principal

    def share(self, **terms: object) -> None:
        """Fremont shares with Union City on ``terms`` (searches for stolen vehicles by
        default), in force for the very next decision."""
        values: dict[str, object] = {"actions": ["search"], "purposes": [PURPOSE],
                                     "created_by": "chief", **terms}
        self.catalog.add_agreement(self.fpd.id, self.ucpd.id, **values)  # type: ignore[arg-type]
        self.policy.invalidate()

    def add(self, *reads: PlateRead) -> None:
        self.store.insert_reads(list(reads))

    def entries(self, start: int = 0) -> list[dict[str, object]]:
        return [r.entry for r in self.audit_log.entries(start, 1000)]


@pytest.fixture
def office(tmp_path: Path, store: ReadStore) -> Iterator[Office]:
    settings = Settings(data_dir=tmp_path / "data", secret_key="k" * 32, require_totp=False)
    catalog = open_catalog(settings, password_hasher=FAST)
    audit_log = AuditLog(catalog.engine, signer=NoteSigner.load_or_create(tmp_path, "test/access"))
    ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    policy = PolicySource(catalog, check_every=0)
    try:
        yield Office(
            catalog=catalog, audit_log=audit_log, policy=policy,
            gate=AccessGate(catalog, audit_log, PolicyDecider(policy)), store=store,
            holds=HoldStore(catalog.engine, audit_log), images=ImageStore(tmp_path / "images"),
            ucpd=ucpd, fpd=fpd,
        )
    finally:
        catalog.close()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


BreakLog = Callable[[], None]


@pytest.fixture
def break_audit_log(office: Office) -> BreakLog:
    """Make every later append fail (the database refuses new entries; reading the
    entries there are still works)."""

    def refuse() -> None:
        with office.catalog.engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_appends BEFORE INSERT ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'the audit log refuses appends'); END")

    return refuse
