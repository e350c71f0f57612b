"""Searches through the access layer: decided per owner, run over the allowed owners only,
logged before they are answered — and held copies under the same decision and limits."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from plateledger.access import AccessDenied, AuditUnavailable
from plateledger.access.exports import ExportCreate, export
from plateledger.access.searches import SearchCreate, SearchParams, search
from plateledger.retention.held import copy_held_reads
from plateledger.retention.holds import LegalHold, ReadSelection
from plateledger.store.held import ensure_held_table
from tests.access.conftest import CASE, PURPOSE, REASON, BreakLog, Office
from tests.factories import make_read

PLATE = "7VAN412"


def ask(kind: str = "exact", plate: str | None = PLATE, **fields: object) -> SearchCreate:
    asked = {"purpose": PURPOSE, "case_number": CASE, "reason": REASON, "offense_type": "240",
             **fields}
    return SearchCreate.model_validate(
        {"kind": kind, "params": SearchParams(plate=plate), **asked})


def test_a_search_reaches_only_the_owners_that_allow_it(office: Office, now: datetime) -> None:
    ours = make_read(PLATE, owner=office.ucpd.id, camera="uc-1", now=now)
    theirs = make_read(PLATE, owner=office.fpd.id, camera="fr-1", now=now)
    office.add(ours, theirs)
    ivy = office.user(office.ucpd, "ivy", "investigator")

    answer = search(office.gate, office.store, office.holds, ask(), ivy)

    assert [r.read_id for r in answer.results] == [ours.read_id]
    outcomes = {o.owner_id: o for o in answer.owners}
    assert outcomes[office.ucpd.id].allowed and not outcomes[office.fpd.id].allowed
    assert outcomes[office.fpd.id].policy_ids == ["default-deny"]


def test_the_entry_is_written_before_the_answer_and_names_the_answer(
    office: Office, now: datetime
) -> None:
    office.add(make_read(PLATE, owner=office.ucpd.id, now=now))
    ivy = office.user(office.ucpd, "ivy", "investigator")
    before = office.audit_log.size()

    answer = search(office.gate, office.store, office.holds, ask(), ivy)

    [entry] = office.entries(before)
    assert answer.audit_index == before
    assert entry["type"] == "search" and entry["user"] == "ivy"
    assert entry["owners_allowed"] == ["ucpd"]
    assert entry["owners_denied"] == [{"agency": "fpd", "policy_ids": ["default-deny"]}]
    assert entry["result_count"] == 1 and entry["case_number"] == CASE


def test_no_audit_entry_means_no_answer(
    office: Office, now: datetime, break_audit_log: BreakLog
) -> None:
    office.add(make_read(PLATE, owner=office.ucpd.id, now=now))
    ivy = office.user(office.ucpd, "ivy", "investigator")
    break_audit_log()
    with pytest.raises(AuditUnavailable, match="no data was returned"):
        search(office.gate, office.store, office.holds, ask(), ivy)


@pytest.mark.parametrize(("body", "code"), [
    (ask(plate=None), "plate_required"),
    (ask(purpose="curiosity"), "unknown_purpose"),
    (ask(requested_by="nowhere"), "unknown_agency"),
])
def test_a_request_policy_cannot_ask_is_refused_by_name(
    office: Office, body: SearchCreate, code: str
) -> None:
    ivy = office.user(office.ucpd, "ivy", "investigator")
    before = office.audit_log.size()
    with pytest.raises(AccessDenied) as refused:
        search(office.gate, office.store, office.holds, body, ivy)
    assert refused.value.code == code
    assert office.audit_log.size() == before


def test_an_export_is_its_own_action(office: Office, now: datetime) -> None:
    office.share(actions=["search"])  # Fremont shares searches, not exports
    ours = make_read(PLATE, owner=office.ucpd.id, camera="uc-1", now=now)
    theirs = make_read(PLATE, owner=office.fpd.id, camera="fr-1", now=now)
    office.add(ours, theirs)
    ivy = office.user(office.ucpd, "ivy", "investigator")

    searched = search(office.gate, office.store, office.holds, ask(), ivy)
    exported = export(office.gate, office.store, office.holds,
                      ExportCreate(**ask().model_dump(), format="ndjson"), ivy)

    assert {r.read_id for r in searched.results} == {ours.read_id, theirs.read_id}
    assert [r.read_id for r in exported.page.results] == [ours.read_id]
    assert str(ours.read_id) in exported.content.decode()
    assert str(theirs.read_id) not in exported.content.decode()
    assert exported.owners_denied().startswith(f"{office.fpd.id}:")
    assert office.entries(exported.page.audit_index or 0)[0]["type"] == "export"


# -- held copies ---------------------------------------------------------------------


def hold_fremont_copies(office: Office, now: datetime, *ages: timedelta) -> list[str]:
    """Fremont reads of `PLATE` at ``ages``, past their clock, kept by a hold for Union
    City's case `CASE` (placed by Fremont at Union City's request)."""
    reads = [make_read(PLATE, owner=office.fpd.id, camera="fr-1",
                       minutes_ago=age / timedelta(minutes=1), keep_days=0.0001, now=now)
             for age in ages]
    office.add(*reads)
    hold = office.holds.place(LegalHold(
        case_number=CASE, reason="evidence in a robbery", approver="sgt. ramos",
        owner_agency=office.fpd.id, case_agency=office.ucpd.id,
        selection=ReadSelection(plates=(PLATE,)), expires_at=now + timedelta(days=30),
    ), placed_by="fpd-admin", now=now)
    ensure_held_table(office.store)
    copy_held_reads(office.store, [hold], "1", now)
    return [str(r.read_id) for r in reads]


def test_held_copies_are_found_for_their_case_only(office: Office, now: datetime) -> None:
    office.share()
    [kept] = hold_fremont_copies(office, now, timedelta(hours=2))
    ivy = office.user(office.ucpd, "ivy", "investigator")

    for_case = search(office.gate, office.store, office.holds, ask(), ivy)
    other = search(office.gate, office.store, office.holds, ask(case_number="UC-1"), ivy)

    assert [(str(r.read_id), r.held_for is not None) for r in for_case.results] == [(kept, True)]
    assert for_case.total == 1
    assert other.results == [] and other.total == 0


def test_held_copies_of_an_owner_that_denies_are_not_found(
    office: Office, now: datetime
) -> None:
    hold_fremont_copies(office, now, timedelta(hours=2))  # no agreement with Fremont
    ivy = office.user(office.ucpd, "ivy", "investigator")
    answer = search(office.gate, office.store, office.holds, ask(), ivy)
    assert answer.results == [] and answer.total == 0


def test_held_copies_keep_to_the_owners_lookback(office: Office, now: datetime) -> None:
    office.share(max_lookback_days=1)
    recent, _old = hold_fremont_copies(office, now, timedelta(hours=2), timedelta(days=3))
    ivy = office.user(office.ucpd, "ivy", "investigator")
    answer = search(office.gate, office.store, office.holds, ask(), ivy)
    assert [str(r.read_id) for r in answer.results] == [recent]


def test_held_copies_count_against_the_owners_result_cap(
    office: Office, now: datetime
) -> None:
    office.share(result_cap=2)
    live = make_read(PLATE, owner=office.fpd.id, camera="fr-2", minutes_ago=5, now=now)
    office.add(live)
    newest, _next, _oldest = hold_fremont_copies(
        office, now, timedelta(hours=1), timedelta(hours=2), timedelta(hours=3))
    ivy = office.user(office.ucpd, "ivy", "investigator")
    answer = search(office.gate, office.store, office.holds, ask(), ivy)
    assert [str(r.read_id) for r in answer.results] == [str(live.read_id), newest]
