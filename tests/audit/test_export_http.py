"""``GET /v1/audit/export`` over HTTP against the demo server: the searching agency's
auditor gets its search with every column; a federal auditor exports no byte of a
California officer's search; no token, or a role without ``view_audit``, gets nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from plateledger.access.audit_export import COLUMNS
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.cli.main import app
from plateledger.settings import Settings
from tests.conftest import LiveServer

PLATE, CASE, REASON = "7XPRT42", "UC-EXPORT-0099", "=HYPERLINK(\"x\") grey sedan taken"


def export(server: LiveServer, who: str | None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {server.token(who)}"} if who else {}
    return httpx.get(f"{server.url}/v1/audit/export", params=params, headers=headers,
                     timeout=60)


@pytest.fixture(scope="module")
def federal_auditor(live_server: LiveServer) -> str:
    catalog = open_catalog(Settings(data_dir=live_server.data_dir, require_totp=False),
                           password_hasher=FAST)
    try:
        agency = catalog.agency_by_slug("ice-ero-sf")
        assert agency is not None
        if catalog.user_by_username("ice-ero-sf.auditor") is None:
            catalog.add_user(agency.id, "ice-ero-sf.auditor", live_server.password,
                             ["auditor"])
    finally:
        catalog.close()
    return "ice-ero-sf.auditor"


def a_search(server: LiveServer) -> int:
    response = httpx.post(
        f"{server.url}/v1/searches", timeout=60,
        headers={"Authorization": f"Bearer {server.token('ucpd.investigator')}"},
        json={"kind": "exact", "params": {"plate": PLATE}, "purpose": "stolen_vehicle",
              "case_number": CASE, "reason": REASON, "offense_type": "240"},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["audit_index"])


def test_the_agencys_auditor_exports_its_search_with_every_column(
    live_server: LiveServer,
) -> None:
    index = a_search(live_server)
    response = export(live_server, "ucpd.auditor", start=index, end=index + 1)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(row) == COLUMNS
    assert row["License Plate"] == PLATE and row["Case #"] == CASE
    assert row["Reason"] == "'" + REASON  # a spreadsheet shows it, never runs it
    assert row["Name"] == "ucpd.investigator" and row["Leaf Index"] == str(index)
    assert row["Offense Type"] == "240"
    assert row["Org Class"] and row["Result Digest"] and row["Total Networks Searched"]
    lines = export(live_server, "ucpd.auditor", start=index, end=index + 1,
                   format="ndjson").text.splitlines()
    assert json.loads(lines[0])["Reason"] == REASON


def test_a_federal_auditor_exports_nothing_of_a_california_officers_search(
    live_server: LiveServer, federal_auditor: str,
) -> None:
    index = a_search(live_server)
    for params in ({"start": index, "end": index + 1}, {}, {"format": "ndjson"}):
        response = export(live_server, federal_auditor, **params)
        assert response.status_code == 200, response.text
        for secret in (PLATE, CASE, "grey sedan taken", "ucpd.investigator"):
            assert secret not in response.text
    assert export(live_server, federal_auditor, start=index,
                  end=index + 1).headers["X-Exported-Count"] == "0"


def test_no_token_or_a_role_without_view_audit_gets_nothing(live_server: LiveServer) -> None:
    index = a_search(live_server)
    anonymous = export(live_server, None, start=index)
    assert anonymous.status_code == 401 and PLATE not in anonymous.text
    investigator = export(live_server, "ucpd.investigator", start=index)
    assert investigator.status_code == 403 and PLATE not in investigator.text


def test_a_search_naming_an_unknown_offense_gets_a_422_naming_the_list(
    live_server: LiveServer,
) -> None:
    response = httpx.post(
        f"{live_server.url}/v1/searches", timeout=60,
        headers={"Authorization": f"Bearer {live_server.token('ucpd.investigator')}"},
        json={"kind": "exact", "params": {"plate": PLATE}, "purpose": "stolen_vehicle",
              "offense_type": "999"},
    )
    assert response.status_code == 422
    assert "offense_type" in response.text and "/v1/offense-types" in response.text


def test_bad_parameters_get_a_4xx_naming_them(live_server: LiveServer) -> None:
    response = export(live_server, "ucpd.auditor", format="xls")
    assert response.status_code == 422 and "format" in response.text
    assert export(live_server, "ucpd.auditor", since="yesterday").status_code == 422


def test_the_command_writes_the_export_an_auditor_may_read(
    live_server: LiveServer, tmp_path: Path,
) -> None:
    index = a_search(live_server)
    out = tmp_path / "audit.csv"
    result = CliRunner().invoke(app, [
        "audit", "export", "--url", live_server.url, "--out", str(out),
        "--token", live_server.token("ucpd.auditor")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert str(index) in [row["Leaf Index"] for row in rows]
    refused = CliRunner().invoke(app, [
        "audit", "export", "--url", live_server.url, "--out", str(tmp_path / "no.csv"),
        "--token", live_server.token("ucpd.investigator")])
    assert refused.exit_code != 0 and not (tmp_path / "no.csv").exists()


def test_xlsx_and_a_filtered_json_page_over_http(live_server: LiveServer) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    index = a_search(live_server)
    response = export(live_server, "ucpd.auditor", format="xlsx", case=CASE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.content)).active
    lines = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert tuple(lines[0]) == COLUMNS and len(lines) > 1
    rows = [dict(zip(COLUMNS, line, strict=True)) for line in lines[1:]]
    assert all(row["Case #"] == CASE for row in rows)
    assert str(index) in [row["Leaf Index"] for row in rows]
    assert all(row["Reason"] == "'" + REASON for row in rows)
    page = export(live_server, "ucpd.auditor", format="json", case=CASE, limit=1,
                  user="ucpd.investigator", decision="denied", purpose="stolen_vehicle",
                  offense="240", kind="exact").json()
    assert page["total"] >= 1 and len(page["rows"]) == 1 and page["columns"] == list(COLUMNS)
    [row] = page["rows"]
    assert row["Leaf Index"] == str(index)  # newest first
    assert row["Reason"] == REASON  # JSON is data, not a spreadsheet
    assert row["Networks Denied"] and row["Search Time (Local)"]
    none = export(live_server, "ucpd.auditor", format="json", case="NO-SUCH-CASE").json()
    assert (none["total"], none["rows"]) == (0, [])
    assert export(live_server, "ucpd.auditor", decision="maybe").status_code == 422


def test_the_command_takes_the_filters_and_writes_xlsx(
    live_server: LiveServer, tmp_path: Path,
) -> None:
    from openpyxl import load_workbook

    a_search(live_server)
    out = tmp_path / "audit.xlsx"
    result = CliRunner().invoke(app, [
        "audit", "export", "--url", live_server.url, "--out", str(out), "--format", "xlsx",
        "--case", CASE, "--user", "ucpd.investigator", "--agency", "ucpd",
        "--token", live_server.token("ucpd.auditor")])
    assert result.exit_code == 0, result.output
    lines = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(lines) > 1
    assert {line[COLUMNS.index("Case #")] for line in lines[1:]} == {CASE}
