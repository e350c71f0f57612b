"""`plateledger.access.held`: held copies reach a search only where every agency it is
made by and for is the hold's case agency — whatever the scope allows besides."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from plateledger.access.held import asking_agencies, with_held_copies
from plateledger.retention.held import copy_held_reads
from plateledger.retention.holds import LegalHold, ReadSelection
from plateledger.search import Filters, OwnerLimit, Scope, SearchPage
from plateledger.store.held import ensure_held_table
from tests.access.conftest import CASE, Office
from tests.factories import make_read

PLATE = "6HELD21"


def _held(office: Office, now: datetime, case_agency: int | None) -> str:
    """A Fremont read of `PLATE` past its clock, copied for a hold of `CASE`."""
    read = make_read(PLATE, owner=office.fpd.id, camera="fr-1", minutes_ago=120,
                     keep_days=0.0001, now=now)
    office.add(read)
    hold = office.holds.place(LegalHold(
        case_number=CASE, reason="evidence", approver="sgt. ramos",
        owner_agency=office.fpd.id, case_agency=case_agency,
        selection=ReadSelection(plates=(PLATE,)), expires_at=now + timedelta(days=30),
    ), placed_by="fpd-admin", now=now)
    ensure_held_table(office.store)
    copy_held_reads(office.store, [hold], "1", now)
    return str(read.read_id)


def _found(office: Office, now: datetime, asking: frozenset[int],
           case: str | None = CASE) -> list[str]:
    empty = SearchPage(kind="exact", total=0, limit=100, offset=0, results=[])
    scope = Scope({office.ucpd.id: OwnerLimit(), office.fpd.id: OwnerLimit()})
    page = with_held_copies(office.store, office.holds, case, PLATE, Filters(), scope, empty,
                            now, asking=asking)
    return [str(r.read_id) for r in page.results]


def test_the_owner_as_case_agency_reaches_its_copies(office: Office, now: datetime) -> None:
    kept = _held(office, now, None)
    assert _found(office, now, frozenset({office.fpd.id})) == [kept]


def test_an_agency_that_is_not_the_case_agency_reaches_none(
    office: Office, now: datetime
) -> None:
    _held(office, now, None)
    assert _found(office, now, frozenset({office.ucpd.id})) == []


def test_a_named_case_agency_reaches_them_and_the_owner_does_not(
    office: Office, now: datetime
) -> None:
    kept = _held(office, now, office.ucpd.id)
    assert _found(office, now, frozenset({office.ucpd.id})) == [kept]
    assert _found(office, now, frozenset({office.fpd.id})) == []


@pytest.mark.parametrize("who", ["both", "none"])
def test_a_search_made_by_and_for_several_agencies_reaches_none(
    office: Office, now: datetime, who: str
) -> None:
    _held(office, now, None)
    asking = frozenset({office.fpd.id, office.ucpd.id} if who == "both" else ())
    assert _found(office, now, asking) == []


def test_the_number_is_still_needed(office: Office, now: datetime) -> None:
    _held(office, now, None)
    assert _found(office, now, frozenset({office.fpd.id}), case=None) == []
    assert _found(office, now, frozenset({office.fpd.id}), case="UC-2026-0001") == []


def test_the_asking_agencies_are_the_users_the_acted_for_and_the_requester(
    office: Office,
) -> None:
    ivy = office.user(office.ucpd, "ivy", "investigator")
    assert asking_agencies(ivy, office.ucpd.id) == {office.ucpd.id}
    assert asking_agencies(ivy, office.fpd.id) == {office.ucpd.id, office.fpd.id}
    acting = replace(ivy, acting_for_id=office.fpd.id)
    assert asking_agencies(acting, office.fpd.id) == {office.ucpd.id, office.fpd.id}
