"""Claims of docs/cases.md, docs/workspace.md and docs/web.md that no other test holds,
each tried against the real app (lifespan included) over the seeded catalog of
tests/api/conftest.py: the case listing's order, a refusal that cannot tell another
agency's case from none, what the reading and report entries name and what the public
sees of them, a report that never carries the reads, the checkpoint taken right after the
report, the operator's map file for every signed-in user, and the pages' image sources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.catalog import new_totp_secret
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, catalog_of, code, login
from tests.factories import make_read, unique_plate

NOW = datetime.now(UTC).replace(microsecond=0)
ASK = {"purpose": "stolen_vehicle", "offense_type": "240",
       "reason": "white pickup taken from the yard on Decoto Road"}


@dataclass
class Office:
    """The app, Union City's investigator (ivy) and Fremont's (finn), logged in, and a
    plate of Union City's reads no other test uses."""

    api: TestClient
    ivy: dict[str, str]
    finn: dict[str, str]
    plate: str
    read_ids: list[str]
    cameras: list[str]

    def open_case(self, number: str, title: str = "") -> dict[str, Any]:
        opened = self.api.post("/v1/cases", headers=self.ivy,
                               json={"number": number, "title": title})
        assert opened.status_code == 201, opened.text
        return dict(opened.json())

    def search(self, number: str, **extra: Any) -> dict[str, Any]:
        response = self.api.post("/v1/searches", headers=self.ivy, json={
            "kind": "exact", "params": {"plate": self.plate}, **ASK,
            "case_number": number, **extra})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def entry(self, index: int) -> dict[str, Any]:
        """The whole entry at ``index``, as the log holds it."""
        log = self.api.app.state.audit_log  # type: ignore[attr-defined]
        return dict(log.entry(index).entry)

    def public(self, index: int) -> dict[str, Any]:
        """What anyone, signed in or not, is shown of the entry at ``index``."""
        shown = self.api.get(f"/v1/audit/entries/{index}")
        assert shown.status_code == 200, shown.text
        return dict(shown.json())


def _number(prefix: str = "UC") -> str:
    return f"{prefix}-2026-{unique_plate('')}"


@pytest.fixture
def office(settings: Settings, seed: Seed) -> Iterator[Office]:
    finn = new_totp_secret()
    with catalog_of(settings) as catalog:
        catalog.add_user(seed.fpd_id, "finn", PASSWORD, ["investigator"], totp_secret=finn)
    plate = unique_plate()
    cameras = [f"uc-cam-{unique_plate('')}" for _ in range(2)]
    reads = [make_read(plate, camera=c, owner=seed.ucpd_id, minutes_ago=20 + i, now=NOW)
             for i, c in enumerate(cameras)]
    with TestClient(create_app(settings)) as api:
        api.app.state.store.insert_reads(reads)  # type: ignore[attr-defined]
        yield Office(api, login(api, "ivy", code(seed.investigator_totp)),
                     login(api, "finn", code(finn)), plate,
                     [str(r.read_id) for r in reads], cameras)


def test_the_cases_of_an_agency_are_listed_newest_first(office: Office) -> None:
    """cases.md: "`GET /v1/cases` — your agency's cases, newest first"."""
    numbers = [_number() for _ in range(3)]
    for number in numbers:
        office.open_case(number)
    listed = office.api.get("/v1/cases", headers=office.ivy)
    assert listed.status_code == 200, listed.text
    assert [c["number"] for c in listed.json()] == numbers[::-1]


def test_another_agencys_case_answers_exactly_as_one_that_does_not_exist(
    office: Office,
) -> None:
    """cases.md: "A case of another agency answers 404 `no_such_case`, exactly as a case
    that does not exist". Attack: Fremont's investigator probes Union City's case numbers
    and compares each answer with the answer for a number nobody has."""
    ours, nobodys = _number(), _number()
    office.open_case(ours, "white pickup")
    office.search(ours)
    for method, path, body in (
        ("GET", "/v1/cases/{}", None),
        ("GET", "/v1/cases/{}/report?format=json", None),
        ("GET", "/v1/cases/{}/report?format=pdf", None),
        ("PATCH", "/v1/cases/{}", {"status": "closed"}),
        ("PATCH", "/v1/cases/{}", {"status": "open"}),
    ):
        probes = [office.api.request(method, path.format(n), headers=office.finn, json=body)
                  for n in (ours, nobodys)]
        assert [p.status_code for p in probes] == [404, 404], probes[0].text
        assert (probes[0].json()["error"]["code"], probes[1].json()["error"]["code"]) == (
            "no_such_case", "no_such_case")
        assert (probes[0].json()["error"]["message"].replace(ours, "N")
                == probes[1].json()["error"]["message"].replace(nobodys, "N"))
        assert "white pickup" not in probes[0].text
        assert set(probes[0].headers) - {"content-length", "x-request-id", "date"} == (
            set(probes[1].headers) - {"content-length", "x-request-id", "date"})
    assert office.api.get(f"/v1/cases/{ours}", headers=office.ivy).json()["status"] == "open"


def test_reading_a_case_names_its_search_ids_and_a_report_its_format(office: Office) -> None:
    """cases.md: "Reading a case is a `case_read` entry naming the indexes and search ids
    it served, and each report a `case_report` entry with the format"."""
    number = _number()
    office.open_case(number)
    first, second = office.search(number), office.search(number)
    shown = office.api.get(f"/v1/cases/{number}", headers=office.ivy)
    assert shown.status_code == 200, shown.text
    read = office.entry(shown.json()["read_index"])
    assert read["type"] == "case_read"
    assert read["indexes"] == [first["audit_index"], second["audit_index"]]
    assert read["search_ids"] == [first["search_id"], second["search_id"]]
    for fmt in ("html", "pdf", "json"):
        report = office.api.get(f"/v1/cases/{number}/report", headers=office.ivy,
                                params={"format": fmt})
        assert report.status_code == 200, report.text
        logged = office.entry(int(report.headers["X-Audit-Index"]))
        assert (logged["type"], logged["format"]) == ("case_report", fmt)
        assert logged["search_ids"] == [first["search_id"], second["search_id"]]


def test_the_public_sees_the_agency_of_each_case_entry_never_its_number(
    office: Office,
) -> None:
    """cases.md: "The public summary of these entries names the agency, never the case
    number" (opening, closing, reopening, reading, each report). Attack: read every one of
    them without a token, and with another agency's token, looking for the number or the
    title."""
    number, title = _number(), "grey van of the Alvarado Road burglary"
    opened = office.open_case(number, title)
    office.search(number)
    closed = office.api.patch(f"/v1/cases/{number}", headers=office.ivy,
                              json={"status": "closed"}).json()
    reopened = office.api.patch(f"/v1/cases/{number}", headers=office.ivy,
                                json={"status": "open"}).json()
    read = office.api.get(f"/v1/cases/{number}", headers=office.ivy).json()["read_index"]
    report = int(office.api.get(f"/v1/cases/{number}/report", headers=office.ivy,
                                params={"format": "json"}).headers["X-Audit-Index"])
    indexes = {"case_change": [opened["change_index"], closed["change_index"],
                               reopened["change_index"]],
               "case_read": [read], "case_report": [report]}
    for kind, found in indexes.items():
        for index in found:
            public = office.public(index)
            assert public["summary"]["type"] == kind
            assert "ucpd" in public["summary"]["agencies"], public
            assert number not in json.dumps(public) and "Alvarado" not in json.dumps(public)
            assert office.entry(index).get("case_number", number) == number
    listing = office.api.get("/v1/audit/entries", params={"limit": 50}).text
    assert number not in listing and "Alvarado" not in listing
    as_fremont = office.api.get("/v1/audit/entries", params={"limit": 50, "full": 1},
                                headers=office.finn).text
    assert number not in as_fremont and "Alvarado" not in as_fremont


def test_a_report_holds_counts_and_digests_never_the_reads(office: Office) -> None:
    """cases.md: "It lists counts and digests only, never the reads themselves". Attack:
    look in every format of the report for the ids and cameras of the reads the search
    returned."""
    number = _number()
    office.open_case(number)
    answer = office.search(number)
    returned = {str(r["read_id"]) for r in answer["results"]}
    assert returned == set(office.read_ids)
    shown = office.api.get(f"/v1/cases/{number}/report", headers=office.ivy,
                           params={"format": "json"}).json()
    (search,) = shown["searches"]
    assert (search["result_count"], search["returned"]) == (2, 2)
    assert search["returned_by_owner"] == {"ucpd": 2} and len(search["result_digest"]) == 64
    for fmt in ("json", "html", "pdf"):
        body = office.api.get(f"/v1/cases/{number}/report", headers=office.ivy,
                              params={"format": fmt}).content
        for secret in (*returned, *office.cameras):
            assert secret.encode() not in body, (fmt, secret)


def test_the_reports_checkpoint_is_taken_right_after_its_own_entry(office: Office) -> None:
    """cases.md: "the signed checkpoint (C2SP signed note) taken right after the report's
    own entry"."""
    number = _number()
    office.open_case(number)
    office.search(number)
    report = office.api.get(f"/v1/cases/{number}/report", headers=office.ivy,
                            params={"format": "json"}).json()
    assert report["checkpoint_size"] == report["report_index"] + 1
    assert report["proofs"][-1]["index"] == report["report_index"]
    assert f"\n{report['checkpoint_size']}\n" in report["checkpoint"]


def test_the_operators_map_file_is_served_to_any_signed_in_user(
    settings: Settings, seed: Seed, tmp_path: Path,
) -> None:
    """workspace.md: "`GET /v1/basemap/tiles.pmtiles` answers 401 without a token … The
    file is map data, not reads, and is served to any signed-in user" — an auditor and an
    administrator, not only an investigator."""
    tiles = tmp_path / "city.pmtiles"
    content = b"PMTiles\x03" + bytes(range(256)) * 4
    tiles.write_bytes(content)
    with TestClient(create_app(settings.model_copy(update={"pmtiles_path": tiles}))) as api:
        assert api.get("/v1/basemap/tiles.pmtiles").status_code == 401
        for who in (login(api, "audrey", code(seed.auditor_totp)), login(api, "ucpd-admin")):
            whole = api.get("/v1/basemap/tiles.pmtiles", headers=who)
            assert whole.status_code == 200 and whole.content == content
            part = api.get("/v1/basemap/tiles.pmtiles", headers={**who, "Range": "bytes=0-6"})
            assert part.status_code == 206 and part.content == b"PMTiles"


@pytest.mark.parametrize("path", ["/workspace", "/cameras", "/cases",
                                  "/reads/6f1c1d9e-8a4b-4c1e-9b1a-2f7d2c1e5a10"])
def test_the_pages_take_images_from_this_server_and_data_addresses_only(
    client: TestClient, path: str,
) -> None:
    """workspace.md: "The images are shown as `data:` addresses, the only image source
    besides this server that the pages' Content-Security-Policy allows"; web.md: "scripts,
    styles and requests to this server only"."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    rules = dict(rule.strip().split(" ", 1)
                 for rule in page.headers["content-security-policy"].split(";"))
    assert rules["img-src"].split() == ["'self'", "data:"]
    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == "'self'" and rules["style-src"] == "'self'"
    assert rules["connect-src"] == "'self'"


def test_a_search_under_the_number_with_surrounding_blanks_is_part_of_the_case(
    office: Office,
) -> None:
    """cases.md: "Its searches … are the audit log's `search` and `export` entries that a
    user of the case's agency made under that case number". Attack: the investigator types
    the number with a trailing blank, so the search stays out of the case and its report
    (opening " N " opens case "N": the case itself treats both as one number)."""
    number = _number()
    office.open_case(f" {number} ")
    padded = office.search(f"{number} ")
    shown = office.api.get(f"/v1/cases/{number}", headers=office.ivy)
    assert shown.status_code == 200, shown.text
    assert [s["search_id"] for s in shown.json()["searches"]] == [padded["search_id"]]


def test_a_case_number_with_invisible_characters_is_refused_before_anything_runs(
    office: Office,
) -> None:
    """The same attack with a character that does not show (a zero-width space, a tab
    inside the number): refused (422) before anything is decided or logged, rather than
    logged under a number no case would match."""
    number = _number()
    log = office.api.app.state.audit_log  # type: ignore[attr-defined]
    for hidden in (f"{number}\u200b", f"UC-\t{number}"):
        size = log.size()
        response = office.api.post("/v1/searches", headers=office.ivy, json={
            "kind": "exact", "params": {"plate": office.plate}, **ASK,
            "case_number": hidden})  # fmt: skip
        assert response.status_code == 422, response.text
        assert "printable" in response.text and log.size() == size
