"""Cases through the access layer: a case lists its own agency's searches under its number
and nothing else; only the agency's investigators and supervisors open and read it; each
change, reading and report is logged first; the report's proofs verify on their own."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import pytest

from plateledger.access import AccessDenied, AuditUnavailable, NotPermitted, NotVisible
from plateledger.access.approvals import Approvals
from plateledger.access.cases import NO_BASIS, CaseConflict, Cases
from plateledger.access.exports import ExportCreate, export
from plateledger.access.searches import SearchCreate, SearchParams, search
from plateledger.audit import ProofError, verify_checkpoint, verify_inclusion
from plateledger.audit.hashing import leaf_hash
from tests.access.conftest import CASE, PURPOSE, REASON, BreakLog, Office
from tests.factories import make_read

PLATE = "7VAN412"
WARRANT = {"kind": "warrant", "number": "25-SW-0042", "court": "Alameda County Superior Court"}


def ask(kind: str = "exact", case: str | None = CASE, **fields: object) -> SearchCreate:
    asked = {
        "purpose": PURPOSE,
        "case_number": case,
        "reason": REASON,
        "offense_type": "240",
        **fields,
    }
    return SearchCreate.model_validate({"kind": kind, "params": SearchParams(plate=PLATE), **asked})


@pytest.fixture
def cases(office: Office) -> Cases:
    return Cases(office.catalog, office.audit_log, office.policy)


def test_a_case_lists_its_agencys_searches_under_its_number_only(
    office: Office, cases: Cases, now: datetime
) -> None:
    office.add(
        make_read(PLATE, owner=office.ucpd.id, camera="uc-1", now=now),
        make_read(PLATE, owner=office.fpd.id, camera="fr-1", now=now),
    )
    ivy = office.user(office.ucpd, "ivy", "investigator")
    finn = office.user(office.fpd, "finn", "investigator")
    exact = search(office.gate, office.store, office.holds, ask(), ivy)
    located = search(
        office.gate, office.store, office.holds, ask("locate", legal_basis=WARRANT), ivy
    )
    search(office.gate, office.store, office.holds, ask(case="UC-2026-9999"), ivy)
    # Fremont's investigator uses the same number, and says it searched for Union City.
    search(office.gate, office.store, office.holds, ask(), finn)
    search(office.gate, office.store, office.holds, ask(requested_by="ucpd"), finn)
    cases.open(ivy, CASE, "grey van taken from the depot")

    detail = cases.detail(ivy, CASE)

    assert [s.search_id for s in detail.searches] == [exact.search_id, located.search_id]
    first, second = detail.searches
    assert (first.user, first.kind, first.plate, first.purpose, first.offense_type) == (
        "ivy",
        "exact",
        PLATE,
        PURPOSE,
        "240",
    )
    assert first.legal_basis == NO_BASIS
    assert second.legal_basis == "warrant 25-SW-0042 (Alameda County Superior Court)"
    assert first.owners_allowed == ["ucpd"]
    assert [(d.agency, d.policy_ids) for d in first.owners_denied] == [("fpd", ["default-deny"])]
    assert (first.result_count, first.returned, first.returned_by_owner) == (1, 1, {"ucpd": 1})
    assert first.result_digest == office.entries(exact.audit_index or 0)[0]["result_digest"]
    assert first.audit_index == exact.audit_index
    read = office.entries(detail.read_index)[0]
    assert read["type"] == "case_read" and read["user"] == "ivy"
    assert read["indexes"] == [exact.audit_index, located.audit_index]


def test_another_agencys_investigator_is_refused_and_keeps_its_own_case(
    office: Office, cases: Cases
) -> None:
    ivy = office.user(office.ucpd, "ivy", "investigator")
    finn = office.user(office.fpd, "finn", "investigator")
    ours = search(office.gate, office.store, office.holds, ask(), ivy)
    theirs = search(office.gate, office.store, office.holds, ask(), finn)
    cases.open(ivy, CASE, "")
    size = office.audit_log.size()

    with pytest.raises(NotVisible):
        cases.detail(finn, CASE)
    with pytest.raises(NotVisible):
        cases.report(finn, CASE, "pdf")
    with pytest.raises(NotVisible):
        cases.set_status(finn, CASE, "closed")
    assert office.audit_log.size() == size  # nothing was read, so nothing logged
    assert cases.listing(finn) == []

    cases.open(finn, CASE, "Fremont's own case under the same number")
    assert [s.search_id for s in cases.detail(finn, CASE).searches] == [theirs.search_id]
    assert [s.search_id for s in cases.detail(ivy, CASE).searches] == [ours.search_id]


@pytest.mark.parametrize("role", ["auditor", "admin", "dispatcher"])
def test_only_investigators_and_supervisors_work_cases(
    office: Office, cases: Cases, role: str
) -> None:
    ivy = office.user(office.ucpd, "ivy", "investigator")
    cases.open(ivy, CASE, "")
    other = office.user(office.ucpd, f"someone-{role}", role)
    for attempt in (
        lambda: cases.detail(other, CASE),
        lambda: cases.report(other, CASE, "html"),
        lambda: cases.open(other, "UC-2026-0001", ""),
        lambda: cases.listing(other),
    ):
        with pytest.raises(NotPermitted, match="role-export"):
            attempt()
    sam = office.user(office.ucpd, "sam", "supervisor")
    assert cases.detail(sam, CASE).number == CASE


def test_opening_and_closing_are_logged_with_the_change(office: Office, cases: Cases) -> None:
    ivy = office.user(office.ucpd, "ivy", "investigator")
    opened = cases.open(ivy, f"  {CASE} ", "grey  van")
    assert (opened.number, opened.title, opened.status) == (CASE, "grey van", "open")
    entry: dict[str, Any] = office.entries(opened.change_index or 0)[0]
    assert (entry["type"], entry["change"], entry["object"], entry["object_id"]) == (
        "case_change",
        "open",
        "case",
        CASE,
    )
    assert entry["before"] is None and entry["after"]["status"] == "open"
    assert entry["agency_id"] == office.ucpd.id and entry["user"] == "ivy"
    with pytest.raises(CaseConflict):
        cases.open(ivy, CASE, "again")

    closed = cases.set_status(ivy, CASE, "closed")
    entry = dict(office.entries(closed.change_index or 0)[0])
    assert entry["change"] == "close" and entry["before"]["status"] == "open"
    assert entry["after"]["status"] == "closed" and entry["after"]["closed_by"] == "ivy"
    with pytest.raises(CaseConflict):
        cases.set_status(ivy, CASE, "closed")
    reopened = cases.set_status(ivy, CASE, "open")
    assert reopened.closed_by is None
    assert office.entries(reopened.change_index or 0)[0]["change"] == "reopen"
    assert [c.number for c in cases.listing(ivy)] == [CASE]


def test_no_entry_means_no_change_and_no_report(
    office: Office, cases: Cases, break_audit_log: BreakLog
) -> None:
    ivy = office.user(office.ucpd, "ivy", "investigator")
    search(office.gate, office.store, office.holds, ask(), ivy)
    cases.open(ivy, CASE, "")
    break_audit_log()
    with pytest.raises(AuditUnavailable):
        cases.open(ivy, "UC-2026-0002", "")
    assert [c.number for c in cases.listing(ivy)] == [CASE]  # rolled back with its entry
    with pytest.raises(AuditUnavailable):
        cases.set_status(ivy, CASE, "closed")
    assert cases.listing(ivy)[0].status == "open"
    with pytest.raises(AuditUnavailable):
        cases.detail(ivy, CASE)
    with pytest.raises(AuditUnavailable):
        cases.report(ivy, CASE, "pdf")


def test_each_proof_of_the_report_verifies_on_its_own(
    office: Office, cases: Cases, now: datetime
) -> None:
    office.add(make_read(PLATE, owner=office.ucpd.id, now=now))
    ivy = office.user(office.ucpd, "ivy", "investigator")
    answers = [search(office.gate, office.store, office.holds, ask(), ivy) for _ in range(3)]
    cases.open(ivy, CASE, "")

    report = cases.report(ivy, CASE, "html")

    signer = office.audit_log.signer
    assert signer is not None and report.verifier_key == signer.verifier_key()
    checkpoint = verify_checkpoint(report.checkpoint, report.verifier_key)
    assert checkpoint.size == report.checkpoint_size > report.report_index
    proven = [p.index for p in report.proofs]
    assert proven == [*(a.audit_index for a in answers), report.report_index]
    for proof in report.proofs:
        stored = office.audit_log.entry(proof.index)
        leaf = base64.b64decode(proof.leaf_hash)
        assert leaf == leaf_hash(stored.entry_bytes)  # the leaf is the entry's content
        path = [base64.b64decode(h) for h in proof.hashes]
        verify_inclusion(proof.index, checkpoint.size, leaf, path, checkpoint.root_hash)
        if path:  # a proof with one hash changed does not verify
            bent = [path[0][:-1] + bytes([path[0][-1] ^ 1]), *path[1:]]
            with pytest.raises(ProofError):
                verify_inclusion(proof.index, checkpoint.size, leaf, bent, checkpoint.root_hash)
    entry = office.entries(report.report_index)[0]
    assert entry["type"] == "case_report" and entry["case_number"] == CASE
    assert entry["search_ids"] == [a.search_id for a in answers]
    assert report.reads_listed is False


def test_a_case_number_has_the_agencys_format_and_names_the_case_in_urls(
    office: Office, cases: Cases
) -> None:
    admin = office.user(office.ucpd, "ada", "admin")
    Approvals(office.catalog, office.audit_log).set_rules(
        admin, case_number_pattern=r"UC-\d{4}-\d{4}", locate_approval_required=False
    )
    ivy = office.user(office.ucpd, "ivy", "investigator")
    with pytest.raises(AccessDenied) as refused:
        cases.open(ivy, "2026/0412", "")
    assert refused.value.code == "bad_case_number"
    with pytest.raises(AccessDenied) as refused:
        cases.open(ivy, "case 12", "")
    assert refused.value.code == "case_number_format"
    assert cases.open(ivy, CASE, "").number == CASE


def test_an_export_under_the_case_is_one_of_its_searches(
    office: Office, cases: Cases, now: datetime
) -> None:
    office.add(
        make_read(PLATE, owner=office.ucpd.id, now=now),
        make_read(PLATE, owner=office.fpd.id, now=now),
    )
    ivy = office.user(office.ucpd, "ivy", "investigator")
    exported = export(
        office.gate,
        office.store,
        office.holds,
        ExportCreate(**ask().model_dump(), format="csv"),
        ivy,
    )
    cases.open(ivy, CASE, "")
    [listed] = cases.detail(ivy, CASE).searches
    assert (listed.search_id, listed.entry_type, listed.kind) == (
        exported.page.search_id,
        "export",
        "exact",
    )
    assert (listed.returned, listed.returned_by_owner) == (1, {"ucpd": 1})


@pytest.mark.parametrize("number", ["UC_1", "UC%1", 'UC"1\\2', "uc-1", "ÜC-1"])
def test_a_case_found_through_the_database_lists_exactly_its_own_number(
    office: Office, cases: Cases, number: str
) -> None:
    """The database narrows the log to the entries naming the number and the agency
    (loosely: ``_`` and ``%`` are wildcards of ``LIKE``, SQLite ignores ASCII case); the
    case still lists exactly the searches under its own number."""
    ivy = office.user(office.ucpd, "ivy", "investigator")
    finn = office.user(office.fpd, "finn", "investigator")
    look_alikes = [
        "UCX1",
        "UC1",
        "UC-1",
        "UCx1",
        'UC"1X2',
        "ÜC-10",
        number.upper(),
        number.lower(),
        number + " ",
    ]
    for other in dict.fromkeys(n for n in look_alikes if n.strip() != number):
        search(office.gate, office.store, office.holds, ask(case=other), ivy)
    ours = search(office.gate, office.store, office.holds, ask(case=number), ivy)
    search(office.gate, office.store, office.holds, ask(case=number), finn)
    cases.open(ivy, number, "")

    listed = cases.detail(ivy, number).searches

    assert [s.search_id for s in listed] == [ours.search_id]
    assert [s.audit_index for s in listed] == [ours.audit_index]
