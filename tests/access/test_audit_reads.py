"""Reading the audit log through the access layer: the policy set decides who reads more
than the public summaries, each entry is served by the reader's part in it, and the
reading is logged before anything is served."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from plateledger.access import AuditUnavailable, NotPermitted, NotVisible
from plateledger.access.audit_reads import AuditReader
from plateledger.access.searches import SearchCreate, SearchParams, search
from tests.access.conftest import CASE, PURPOSE, REASON, BreakLog, Office
from tests.factories import make_read

PLATE = "7LOGS88"


@pytest.fixture
def reader(office: Office) -> AuditReader:
    return AuditReader(office.audit_log, office.catalog, office.policy)


def searched(office: Office, now: datetime) -> int:
    """Union City's investigator searches; Fremont (no agreement) denies. The entry's index."""
    office.add(make_read(PLATE, owner=office.fpd.id, now=now))
    ivy = office.user(office.ucpd, "ivy", "investigator")
    body = SearchCreate(kind="exact", params=SearchParams(plate=PLATE), purpose=PURPOSE,
                        case_number=CASE, reason=REASON, offense_type="240")
    answer = search(office.gate, office.store, office.holds, body, ivy)
    assert answer.audit_index is not None
    return answer.audit_index


@pytest.mark.parametrize("role", ["investigator", "dispatcher", "admin"])
def test_only_the_roles_policy_names_read_entries(
    office: Office, reader: AuditReader, role: str
) -> None:
    user = office.user(office.ucpd, "someone", role)
    with pytest.raises(NotPermitted, match="reading the audit log needs"):
        reader.page(user, 0, 10)


def test_each_agency_is_served_its_part_and_the_reading_is_logged_first(
    office: Office, reader: AuditReader, now: datetime
) -> None:
    # Fremont shares with Union City, for another purpose than this search's: its denial
    # names its agreement, and is its to audit
    office.catalog.add_agreement(office.fpd.id, office.ucpd.id, actions=["search"],
                                 purposes=["missing_person"], created_by="fpd-admin",
                                 starts_at=now - timedelta(days=1))
    index = searched(office, now)
    ours = office.user(office.ucpd, "audrey", "auditor")
    theirs = office.user(office.fpd, "frank", "supervisor")

    acting = reader.entry(ours, index)
    denying = reader.entry(theirs, index)

    assert acting["view"] == "full" and acting["entry"]["case_number"] == CASE
    assert denying["view"] == "denied"
    assert "case_number" not in denying["entry"] and "query" not in denying["entry"]
    assert denying["entry"]["denied"] == {"agency": "fpd",
                                          "policy_ids": ["agreement-1-purposes"]}
    readings = office.entries(index + 1)
    assert [(e["type"], e["agency"], e["indexes"], e["views"]) for e in readings] == [
        ("audit_read", "ucpd", [index], ["full"]),
        ("audit_read", "fpd", [index], ["denied"]),
    ]


def test_an_owner_that_denied_a_stranger_by_default_is_served_the_public_summary(
    office: Office, reader: AuditReader, now: datetime
) -> None:
    """Fremont holds a read of the plate and denied Union City's search by default; with
    no agreement either way it learns no more of the search than anyone: not the officer,
    not the rule, and its auditor's look is no reading of Union City's search."""
    index = searched(office, now)
    theirs = office.user(office.fpd, "frank", "supervisor")
    item = reader.entry(theirs, index)
    assert item["view"] == "public"
    assert "ivy" not in str(item) and CASE not in str(item)
    assert office.entries(index + 1) == []


def test_an_agreement_made_after_a_search_buys_no_view_of_it(
    office: Office, reader: AuditReader, now: datetime
) -> None:
    """Fremont's admin cannot make an agreement with Union City after its search (and
    revoke it at once) to read who searched: the agreement did not apply then."""
    index = searched(office, now)
    made = office.catalog.add_agreement(office.fpd.id, office.ucpd.id, actions=["search"],
                                        purposes=["missing_person"], created_by="fpd-admin")
    office.catalog.revoke_agreement(made.id)
    theirs = office.user(office.fpd, "frank", "supervisor")
    assert reader.entry(theirs, index)["view"] == "public"


def test_a_page_of_public_views_is_not_a_reading(
    office: Office, reader: AuditReader, now: datetime
) -> None:
    index = searched(office, now)
    outsider = office.catalog.add_agency("Hayward PD", "hpd", "municipal", "CA")
    hal = office.user(outsider, "hal", "auditor")
    page = reader.page(hal, index, 1)
    assert [item["view"] for item in page["entries"]] == ["public"]
    assert "entry" not in page["entries"][0]
    assert office.audit_log.size() == index + 1


def test_an_entry_past_the_end_is_not_visible(office: Office, reader: AuditReader) -> None:
    audrey = office.user(office.ucpd, "audrey", "auditor")
    with pytest.raises(NotVisible):
        reader.entry(audrey, office.audit_log.size() + 5)


def test_no_record_of_the_reading_means_no_content(
    office: Office, reader: AuditReader, now: datetime, break_audit_log: BreakLog
) -> None:
    index = searched(office, now)
    audrey = office.user(office.ucpd, "audrey", "auditor")
    break_audit_log()
    with pytest.raises(AuditUnavailable):
        reader.entry(audrey, index)
