"""Approvals of pattern-of-life searches in the access layer, on SQLite and on PostgreSQL:
the pending request, the supervisor's decision and the single use, each with its entry."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url, update

from plateledger.access import AccessGate
from plateledger.access.approvals import (
    ApprovalConflict,
    ApprovalForbidden,
    ApprovalGone,
    ApprovalPending,
    Approvals,
)
from plateledger.access.policy_source import PolicyDecider, PolicySource
from plateledger.access.searches import SearchCreate, search
from plateledger.audit import AuditLog, NoteSigner
from plateledger.catalog import Catalog, Principal, open_catalog
from plateledger.catalog.approvals import search_approvals
from plateledger.catalog.passwords import FAST
from plateledger.retention import HoldStore
from plateledger.settings import Settings
from plateledger.store import ReadStore
from tests.factories import make_read

BASIS = {"kind": "court_order", "number": "27-CV-26-0412",
         "court": "Hennepin County District Court"}


def body(plate: str = "MN4242", **extra: object) -> SearchCreate:
    return SearchCreate.model_validate({
        "kind": "locate", "params": {"plate": plate}, "purpose": "court_order",
        "case_number": "26-004417", "offense_type": "09A", "legal_basis": BASIS,
        "reason": "court order for the suspect vehicle's locations last month", **extra})


def _admin_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.sqlite'}"
        return
    base: str = request.getfixturevalue("postgres_url")
    name = f"plateledger_approvals_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_url(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_url(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Desk:
    catalog: Catalog
    log: AuditLog
    gate: AccessGate
    book: Approvals
    holds: HoldStore
    store: ReadStore
    mia: Principal
    sam: Principal

    def run(self, asked: SearchCreate, user: Principal | None = None) -> object:
        return search(self.gate, self.store, self.holds, asked, user or self.mia)


@pytest.fixture
def desk(catalog_url: str, tmp_path: Path, store: ReadStore) -> Iterator[Desk]:
    settings = Settings(data_dir=tmp_path / "data", catalog_url=catalog_url,
                        secret_key="k" * 32, require_totp=False)
    catalog = open_catalog(settings, password_hasher=FAST)
    log = AuditLog(catalog.engine, signer=NoteSigner.load_or_create(tmp_path, "test/approvals"))
    policy = PolicySource(catalog, check_every=0)
    mpd = catalog.add_agency("Minneapolis PD", "mpd", "municipal", "MN")

    def user(name: str, role: str) -> Principal:
        account = catalog.add_user(mpd.id, name, "correct horse battery staple", [role])
        found = catalog.user_for_token(catalog.issue_token(account))
        assert found is not None
        return found

    store.insert_reads([make_read("MN4242", owner=mpd.id, state="MN", camera="mn-1",
                                  minutes_ago=90 + i * 1440) for i in range(3)])
    try:
        yield Desk(catalog, log, AccessGate(catalog, log, PolicyDecider(policy)),
                   Approvals(catalog, log, policy), HoldStore(catalog.engine, log), store,
                   user("mia", "investigator"), user("sam", "supervisor"))
    finally:
        catalog.close()


ENGINES = [pytest.param("sqlite", id="sqlite"),
           pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("catalog_url", ENGINES, indirect=True)
def test_request_decision_and_single_use_each_leave_their_entry(desk: Desk) -> None:
    with pytest.raises(ApprovalPending) as waiting:
        desk.run(body())
    pending = waiting.value.approval
    assert pending.status == "pending" and pending.legal_basis == BASIS
    request = desk.log.entry(pending.request_index or 0).entry
    assert (request["type"], request["approval_id"]) == ("search_approval_request",
                                                         pending.id)
    assert request["legal_basis_court"] == BASIS["court"]

    decided = desk.book.decide(desk.sam, pending.id, approve=True, note="checked")
    decision = desk.log.entry(decided.decision_index or 0).entry
    assert (decision["decision"], decision["user"], decision["note"]) == (
        "approved", "sam", "checked")

    with pytest.raises(ApprovalForbidden, match="plate"):
        desk.run(body("MN0000", approval_id=pending.id))
    done = desk.run(body(approval_id=pending.id))
    assert getattr(done, "total", None) == 3
    index = getattr(done, "audit_index", None)
    assert isinstance(index, int)
    entry = desk.log.entry(index).entry
    assert entry["query"]["legal_basis"] == BASIS and entry["offense_type"] == "09A"
    with pytest.raises(ApprovalConflict):
        desk.run(body(approval_id=pending.id))
    assert [a.status for a in desk.book.listing(desk.sam, None)] == ["used"]


@pytest.mark.parametrize("catalog_url", ENGINES, indirect=True)
def test_a_search_run_again_while_it_waits_does_not_ask_twice(desk: Desk) -> None:
    """The same pattern of life run again gets the request it already waits on, with no
    second entry; another plate is another request."""
    with pytest.raises(ApprovalPending) as first:
        desk.run(body())
    with pytest.raises(ApprovalPending) as again:
        desk.run(body())
    assert again.value.approval.id == first.value.approval.id
    assert [a.id for a in desk.book.listing(desk.sam)] == [first.value.approval.id]
    with pytest.raises(ApprovalPending) as other:
        desk.run(body("MN0000"))
    assert other.value.approval.id != first.value.approval.id
    requests = [r for r in desk.log.entries(0, desk.log.size())
                if r.entry["type"] == "search_approval_request"]
    assert len(requests) == 2


@pytest.mark.parametrize("catalog_url", ENGINES, indirect=True)
def test_an_open_approval_expires(desk: Desk) -> None:
    with pytest.raises(ApprovalPending) as waiting:
        desk.run(body())
    approval_id = waiting.value.approval.id
    with desk.catalog.engine.begin() as conn:
        conn.execute(update(search_approvals).where(search_approvals.c.id == approval_id)
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert desk.book.listing(desk.sam) == []  # nothing pending: it expired
    assert [a.status for a in desk.book.listing(desk.sam, "expired")] == ["expired"]
    with pytest.raises(ApprovalGone, match="expired"):
        desk.book.decide(desk.sam, approval_id, approve=True, note="")
