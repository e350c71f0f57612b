"""The export shows each agency as it was when the access was decided: its entry records
the name, class, jurisdiction, home state and time zone of the user's agency and of the agency the
search was made for, so reclassifying an agency later does not rewrite its past searches.
An entry logged before that record falls back to the catalog, and says so."""

# ruff: noqa: F811  (the fixtures imported below are used by name)
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from plateledger.access.audit_export import FROM_CATALOG, LOGGED, AuditExporter
from plateledger.access.audit_reads import AuditReader
from plateledger.access.searches import SearchCreate, SearchParams, search
from tests.access.conftest import (  # noqa: F401  (fixtures used by name)
    CASE,
    PURPOSE,
    REASON,
    Office,
    now,
    office,
)
from tests.factories import make_read

PLATE = "7FACT11"


@pytest.fixture
def exporter(office: Office) -> AuditExporter:
    return AuditExporter(AuditReader(office.audit_log, office.catalog, office.policy))


def searched_for_fremont(office: Office, now: datetime) -> int:
    """Union City's investigator searches on behalf of Fremont; the entry's index."""
    office.share()
    office.add(make_read(PLATE, owner=office.fpd.id, now=now))
    ivy = office.user(office.ucpd, "ivy", "investigator")
    body = SearchCreate(
        kind="exact",
        params=SearchParams(plate=PLATE, since=now - timedelta(days=2)),
        purpose=PURPOSE,
        case_number=CASE,
        reason=REASON,
        offense_type="240",
        requested_by="fpd",
    )
    answer = search(office.gate, office.store, office.holds, body, ivy)
    assert answer.audit_index is not None
    return answer.audit_index


def test_a_later_reclassification_does_not_rewrite_the_exported_search(
    office: Office,
    exporter: AuditExporter,
    now: datetime,
) -> None:
    index = searched_for_fremont(office, now)
    entry = office.audit_log.entry(index).entry
    assert entry["agency_facts"] == {
        "ucpd": {
            "name": "Union City PD",
            "class": "municipal",
            "jurisdiction": "",
            "home_state": "CA",
            "timezone": "",
        },
        "fpd": {
            "name": "Fremont PD",
            "class": "municipal",
            "jurisdiction": "",
            "home_state": "CA",
            "timezone": "",
        },
    }
    # Afterwards the catalog says Union City is federal, renamed, and Fremont is in Nevada.
    office.catalog.set_agency_class(office.ucpd.id, kind="federal")
    office.catalog.update_agency(office.ucpd.id, name="Union City Task Force")
    office.catalog.set_agency_class(office.fpd.id, home_state="NV")
    office.catalog.update_agency(office.fpd.id, jurisdiction="Fremont city")
    audrey = office.user(office.ucpd, "audrey", "auditor")

    [row] = [r for r in exporter.rows(audrey) if r["Leaf Index"] == str(index)]

    assert (row["Org Name"], row["Org Class"]) == ("Union City PD", "municipal")
    assert (row["Requested By"], row["Requester Jurisdiction"]) == ("fpd", "CA")
    assert row["Agency Facts"] == LOGGED
    # local time still from the state the agency was in when it searched
    assert row["Search Time (Local)"].endswith((" PST", " PDT"))


def test_an_entry_from_before_the_record_reads_the_catalog_and_says_so(
    office: Office,
    exporter: AuditExporter,
    now: datetime,
) -> None:
    index = searched_for_fremont(office, now)
    old = {
        k: v
        for k, v in office.audit_log.entry(index).entry.items()
        if k not in ("agency_facts", "log_index")
    }
    old["query"] = {**old["query"], "search_id": "0b9f3ac2-0000-4000-8000-000000000001"}
    before = office.audit_log.append(old)
    office.catalog.set_agency_class(office.ucpd.id, kind="federal")
    audrey = office.user(office.ucpd, "audrey", "auditor")

    rows = {r["Leaf Index"]: r for r in exporter.rows(audrey)}

    assert rows[str(before)]["Org Class"] == "federal"  # the catalog now, not then
    assert rows[str(before)]["Agency Facts"] == FROM_CATALOG
    assert rows[str(index)]["Org Class"] == "municipal"
    assert rows[str(index)]["Agency Facts"] == LOGGED


def test_facts_naming_only_one_of_the_two_agencies_are_not_half_trusted(
    office: Office,
    exporter: AuditExporter,
    now: datetime,
) -> None:
    """An entry whose facts lack the agency the search was made for reads both from the
    catalog, rather than mixing logged and current facts in one row."""
    index = searched_for_fremont(office, now)
    entry = office.audit_log.entry(index).entry
    partial = {k: v for k, v in entry.items() if k != "log_index"}
    partial["agency_facts"] = {"ucpd": entry["agency_facts"]["ucpd"]}
    at = office.audit_log.append(partial)
    office.catalog.set_agency_class(office.ucpd.id, kind="county")
    audrey = office.user(office.ucpd, "audrey", "auditor")

    rows = {r["Leaf Index"]: r for r in exporter.rows(audrey)}

    assert rows[str(at)]["Agency Facts"] == FROM_CATALOG
    assert rows[str(at)]["Org Class"] == "county"


def test_local_time_is_the_agencys_own_zone_as_it_was_when_it_searched(
    office: Office,
    exporter: AuditExporter,
    now: datetime,
) -> None:
    """An agency that set its own report zone sees its searches in that zone; moving the
    zone later does not move the searches already logged."""
    office.catalog.update_agency(office.ucpd.id, timezone="Pacific/Honolulu")
    index = searched_for_fremont(office, now)
    assert office.audit_log.entry(index).entry["agency_facts"]["ucpd"]["timezone"] == (
        "Pacific/Honolulu"
    )
    office.catalog.update_agency(office.ucpd.id, timezone="America/New_York")
    audrey = office.user(office.ucpd, "audrey", "auditor")

    [row] = [r for r in exporter.rows(audrey) if r["Leaf Index"] == str(index)]

    assert row["Search Time (Local)"].endswith(" HST")
