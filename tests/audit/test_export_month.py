"""A month of searches exported: every kind of search, exports and a hot-list alert, by a
city, a county and a federal agency, allowed, partly denied and denied. Every column the
issue names is filled wherever it applies; the federal auditor exports none of the
California officers' searches; filters and pages keep exactly the rows they describe;
XLSX holds what CSV holds, and neither runs a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from plateledger.access.audit_export import (
    COLUMNS,
    UNBOUNDED,
    AuditExporter,
    ExportFilter,
    to_csv,
    to_xlsx,
)
from plateledger.access.audit_reads import AuditReader
from plateledger.access.exports import ExportCreate, export
from plateledger.access.legal_basis import LegalBasis
from plateledger.access.policy_source import PolicyAlertGate
from plateledger.access.searches import SearchCreate, SearchParams, search
from plateledger.catalog import Agency, Principal
from plateledger.hotlist import HotlistRuntime
from plateledger.search.attributes import Vehicle
from plateledger.search.convoy import Convoy
from plateledger.search.stakeout import Stakeout
from tests.access.conftest import (  # noqa: F401  (fixtures used by name)
    CASE,
    PURPOSE,
    REASON,
    Office,
    now,
    office,
)
from tests.factories import make_read

HOT = "7HOT999"
ALWAYS = ("ID", "Name", "Org Name", "Org Slug", "Org Class", "Requested By",
          "Requester Jurisdiction", "Total Networks Searched", "Total Devices Searched",
          "Decision", "Time Frame Start", "Time Frame End", "Filters", "Search Time (UTC)",
          "Search Time (Local)", "Search Type", "Purpose", "Reads Returned", "Reads Matched",
          "Result Digest", "Leaf Index", "Inclusion Proof", "Checkpoint Size", "Policy Set")
"""Columns filled on every row of a search or an export."""
ASKED = ("Reason", "Offense Type", "Case #")
"""Filled wherever the search gave them (every search of this month does)."""


@dataclass
class Month:
    office: Office
    feds: Agency
    county: Agency
    ids: dict[int, str]
    """search_id of each search's answer by its audit index."""
    alert_index: int
    start: datetime
    end: datetime

    def auditor(self, agency: Agency) -> Principal:
        name = f"auditor-{agency.slug}"
        found = self.office.catalog.user_by_username(name)
        if found is not None:
            principal = self.office.catalog.user_for_token(
                self.office.catalog.issue_token(found))
            assert principal is not None
            return principal
        return self.office.user(agency, name, "auditor")

    def exporter(self) -> AuditExporter:
        o = self.office
        return AuditExporter(AuditReader(o.audit_log, o.catalog, o.policy))

    def rows(self, of: Agency, **where: Any) -> list[dict[str, str]]:
        return self.exporter().rows(self.auditor(of), where=ExportFilter(
            since=self.start, until=self.end, **where))


def _window(day: datetime) -> dict[str, Any]:
    return {"since": day - timedelta(days=1), "until": day + timedelta(hours=1)}


@pytest.fixture
def month(office: Office, now: datetime) -> Iterator[Month]:  # noqa: F811
    o = office
    feds = o.catalog.add_agency("Federal Task Force", "ftf", "federal", "DC",
                                jurisdiction="United States")
    county = o.catalog.add_agency("Alameda County Sheriff", "acso", "county", "CA",
                                  jurisdiction="Alameda County")
    o.share(actions=["search", "export", "alert"])  # Fremont shares stolen-vehicle work
    for owner in (county, feds):  # and so do the county and the task force
        o.catalog.add_agreement(owner.id, o.ucpd.id, actions=["search", "export"],
                                purposes=[PURPOSE], created_by="chief")
    o.policy.invalidate()
    cameras = {o.ucpd: ["uc-1", "uc-2"], o.fpd: ["fpd-1"], county: ["acso-1"],
               feds: ["ftf-1"]}
    for agency, names in cameras.items():
        for camera in names:
            o.catalog.add_camera(camera, agency.id, lat=37.6, lon=-122.05)
    start = now - timedelta(days=30)
    days = [now - timedelta(days=29 - d) for d in range(30)]
    for d, day in enumerate(days):  # one car seen at every camera each day
        for agency, names in cameras.items():
            for camera in names:
                o.add(make_read(f"7MON{d:03d}", camera=camera, owner=agency.id, now=day,
                                vehicle_color="red", keep_days=90))
                o.add(make_read(f"7MON{d:03d}", camera=camera, owner=agency.id, now=day,
                                minutes_ago=2, keep_days=90))
    users = {
        "uc-ivy": o.user(o.ucpd, "uc-ivy", "investigator"),
        "uc-sam": o.user(o.ucpd, "uc-sam", "investigator"),
        "acso-kim": o.user(county, "acso-kim", "investigator"),
        "ftf-fox": o.user(feds, "ftf-fox", "investigator"),
    }
    everywhere = {"shape": "box", "south": -90, "west": -180, "north": 90, "east": 180}
    plans: list[tuple[str, str, dict[str, Any]]] = []
    for d, day in enumerate(days):
        plate = f"7MON{d:03d}"
        window = _window(day)
        kind = ("exact", "wildcard", "fuzzy", "area", "timeline", "stakeout", "convoy",
                "attributes", "export", "locate")[d % 10]
        user = ("uc-ivy", "uc-sam", "acso-kim", "ftf-fox")[d % 4]
        params: dict[str, Any] = {"plate": plate, **window}
        extra: dict[str, Any] = {}
        if kind == "wildcard":
            params["plate"] = plate[:-1] + "?"
        if kind == "area":
            params = {"cameras": ["uc-1", "fpd-1", "acso-1"], **window}
        if kind == "stakeout":
            params = dict(window)
            extra["stakeout"] = Stakeout.model_validate(
                {"areas": [{**everywhere, **window}], "min_areas": 1})
        if kind == "convoy":
            extra["convoy"] = Convoy(window_seconds=600, min_places=1)
        if kind == "attributes":
            extra["vehicle"] = Vehicle(color="red")
        if kind == "locate":
            extra["legal_basis"] = LegalBasis(kind="warrant", number=f"W-2026-{d:04d}",
                                              court="Alameda County Superior Court")
        purpose = PURPOSE if d % 5 else "homicide"  # Fremont shares stolen vehicles only
        plans.append((kind, user, {
            "params": SearchParams.model_validate(params), "purpose": purpose,
            "case_number": f"{CASE}-{d:02d}", "offense_type": "240" if d % 5 else "09A",
            "reason": REASON if d % 7 else "=1+1 check for the ICE detainer request",
            **extra}))
    ids: dict[int, str] = {}
    for kind, user, body in plans:
        if kind == "export":
            done = export(o.gate, o.store, o.holds, ExportCreate(kind="exact", **body),
                          users[user]).page
        else:
            done = search(o.gate, o.store, o.holds, SearchCreate(kind=kind, **body),
                          users[user])
        assert done.audit_index is not None and done.search_id is not None
        ids[done.audit_index] = done.search_id
    slugs = {a.id: a.slug for a in o.catalog.agencies()}
    runtime = HotlistRuntime.open(o.catalog.engine, o.audit_log, PolicyAlertGate(o.policy),
                                  agency_name=lambda agency_id: slugs[agency_id])
    try:
        runtime.store.import_list(o.ucpd.id, "stolen", "local", "stolen_vehicle",
                                  [{"plate": HOT, "reason": "stolen", "case_number": CASE}])
        before = o.audit_log.size()
        report = runtime.service.process([make_read(HOT, owner=o.fpd.id, now=now)], now)
        assert report.delivered == 1
        [alert_index] = [r.index for r in o.audit_log.entries(before, 10)
                         if r.entry["type"] == "alert_delivery"]
    finally:
        runtime.close()
    # (the month ends after its last entry: on a busy machine building it takes minutes)
    yield Month(o, feds, county, ids, alert_index, start,
                datetime.now(UTC) + timedelta(minutes=1))


def test_every_column_is_filled_wherever_it_applies(month: Month) -> None:
    o = month.office
    rows: dict[int, dict[str, str]] = {}
    for agency in (o.ucpd, month.county, month.feds):
        for r in month.rows(agency):
            # its own agency's row (full) over another owner's (its own part only)
            if r["Org Slug"] == agency.slug or int(r["Leaf Index"]) not in rows:
                rows[int(r["Leaf Index"])] = r
    searches = {i: r for i, r in rows.items() if r["Search Type"] != "alert"}
    assert set(searches) == set(month.ids)  # every search of the month, once its own agency's
    assert {r["Search Type"] for r in rows.values()} == {
        "exact", "wildcard", "fuzzy", "area", "timeline", "stakeout", "convoy", "attributes",
        "export", "locate", "alert"}
    assert {r["Org Class"] for r in rows.values()} == {"municipal", "county", "federal"}
    assert {r["Decision"] for r in searches.values()} == {"allowed", "partly denied", "denied"}
    for index, row in searches.items():
        assert tuple(row) == COLUMNS
        for column in ALWAYS + ASKED:
            assert row[column], (column, row)
        assert row["ID"] == month.ids[index]
        assert row["Time Frame Start"] != UNBOUNDED  # each search of the month had one
        assert row["Search Time (Local)"].endswith(
            (" EST", " EDT") if row["Org Slug"] == "ftf" else (" PST", " PDT"))
        assert int(row["Total Networks Searched"]) == 4  # every owner was asked
        if row["Decision"] != "denied":
            assert row["Networks Released"] and row["Reads Returned Per Network"]
            assert sum(int(part.split("=")[1]) for part in
                       row["Reads Returned Per Network"].split(";")) == int(
                row["Reads Returned"])
            assert "(" in row["Networks Released"]  # each with the rules that released it
        if row["Decision"] != "allowed":
            assert row["Networks Denied"] and "(" in row["Networks Denied"]
        if row["Search Type"] not in {"area", "stakeout"}:
            assert row["License Plate"].startswith("7MON")
        if row["Search Type"] == "locate":
            assert row["Legal Basis"].startswith("warrant W-2026-")
            assert row["Legal Basis"].endswith("(Alameda County Superior Court)")
        else:
            assert row["Legal Basis"] == ""
        if "ICE" in row["Reason"]:
            assert row["Reason Flags"]
    assert any(r["Reason Flags"] for r in searches.values())
    federal = [r for r in searches.values() if r["Org Slug"] == "ftf"]
    assert federal and all(r["Requester Jurisdiction"] == "United States, DC"
                           and "ucpd(" in r["Networks Denied"] for r in federal)
    alert = rows[month.alert_index]
    for column in ("ID", "Name", "Org Name", "Org Class", "Networks Released",
                   "Search Time (Local)", "Reads Returned", "Reads Returned Per Network",
                   "Filters", "Leaf Index", "Inclusion Proof", "Checkpoint Size"):
        assert alert[column], column
    assert alert["Org Slug"] == "ucpd" and alert["Networks Released"].startswith("fpd(")


def test_a_federal_auditor_exports_none_of_the_california_officers_searches(
    month: Month,
) -> None:
    """The task force's auditor sees its own searches and the searches its data was
    released to (the ones it shared), and not one other California search."""
    o = month.office

    def released_ftf(row: dict[str, str]) -> bool:
        return "ftf" in [p.split("(")[0] for p in row["Networks Released"].split(";")]

    california = month.rows(o.ucpd) + month.rows(month.county)
    withheld = {r["Leaf Index"] for r in california if not released_ftf(r)}
    assert len(withheld) >= 10  # the county's, the homicide ones, the refused ones
    federal = month.rows(month.feds)
    assert federal and all(r["Org Slug"] == "ftf" or released_ftf(r) for r in federal)
    assert not withheld & {r["Leaf Index"] for r in federal}
    text = to_csv(federal)
    assert "acso-kim" not in text and "Alameda County Sheriff" not in text
    for r in federal:
        if r["Org Slug"] != "ftf":
            assert r["Purpose"] == PURPOSE and released_ftf(r)
    # and asking for them by name finds nothing more
    assert month.rows(month.feds, user="acso-kim") == []
    assert month.rows(month.feds, agency="acso") == []
    assert {r["Leaf Index"] for r in month.rows(month.feds, agency="ucpd")} <= {
        r["Leaf Index"] for r in federal if released_ftf(r)}


def test_filters_keep_exactly_the_rows_they_name(month: Month) -> None:
    o = month.office
    every = month.rows(o.ucpd)
    checks: list[tuple[dict[str, Any], Any]] = [
        ({"user": "uc-sam"}, lambda r: r["Name"] == "uc-sam"),
        ({"agency": "ucpd"}, lambda r: "ucpd" in (r["Org Slug"], r["Requested By"])),
        ({"purpose": "homicide"}, lambda r: r["Purpose"] == "homicide"),
        ({"offense": "09A"}, lambda r: r["Offense Type"] == "09A"),
        ({"case": f"{CASE}-05"}, lambda r: r["Case #"] == f"{CASE}-05"),
        ({"flag": "immigration"}, lambda r: "immigration" in r["Reason Flags"].split(";")),
        ({"decision": "denied"}, lambda r: bool(r["Networks Denied"])),
        ({"decision": "allowed"}, lambda r: not r["Networks Denied"]),
        ({"kind": "export"}, lambda r: r["Search Type"] == "export"),
    ]
    for where, keeps in checks:
        got = month.rows(o.ucpd, **where)
        expected = [r["Leaf Index"] for r in every if keeps(r)]
        assert got, where
        assert [r["Leaf Index"] for r in got] == expected, where
    middle = datetime.fromisoformat(every[len(every) // 2]["Search Time (UTC)"])
    later = month.exporter().rows(month.auditor(o.ucpd), where=ExportFilter(since=middle))
    assert [r["Leaf Index"] for r in later] == [
        r["Leaf Index"] for r in every if r["Search Time (UTC)"] >= every[len(every) // 2][
            "Search Time (UTC)"]]


def test_pages_give_the_total_and_newest_first_each_row_once(month: Month) -> None:
    o = month.office
    auditor = month.auditor(o.ucpd)
    where = ExportFilter(purpose=PURPOSE)
    every = month.exporter().rows(auditor, where=where)
    seen: list[str] = []
    offset = 0
    while True:
        page = month.exporter().page(auditor, where=where, offset=offset, limit=4)
        assert page["total"] == len(every) and page["columns"] == list(COLUMNS)
        if not page["rows"]:
            break
        seen += [r["Leaf Index"] for r in page["rows"]]
        offset += 4
    assert seen == [r["Leaf Index"] for r in reversed(every)]
    # the page served is logged: its rows' indexes, before it is returned
    size = o.audit_log.size()
    page = month.exporter().page(auditor, where=where, offset=0, limit=2)
    last = o.audit_log.entry(size).entry
    assert last["indexes"] == [int(r["Leaf Index"]) for r in page["rows"]]


def test_xlsx_holds_what_csv_holds_and_neither_runs_a_formula(month: Month) -> None:
    o = month.office
    rows = month.rows(o.ucpd)
    hostile = [r for r in rows if r["Reason"].startswith("=")]
    assert hostile
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    sheet = load_workbook(io.BytesIO(to_xlsx(rows)), read_only=True).active
    cells = [[c.value or "" for c in line] for line in sheet.iter_rows()]
    assert tuple(cells[0]) == COLUMNS
    assert [dict(zip(COLUMNS, line, strict=True)) for line in cells[1:]] == parsed
    for row in parsed:
        if row["Leaf Index"] == hostile[0]["Leaf Index"]:
            assert row["Reason"] == "'" + hostile[0]["Reason"]
    book = load_workbook(io.BytesIO(to_xlsx(rows)))
    assert all(cell.data_type != "f" for line in book.active.iter_rows() for cell in line)
