"""Cases over the API, end to end: opened and read by the agency's investigators only; a
search by another agency under the same number is not in it; the report (HTML, PDF) lists
each search with its legal basis and counts, and its proofs verify with nothing but the
report and the log's published key; making it is an audit entry."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.audit import verify_checkpoint, verify_inclusion
from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login
from tests.factories import make_read

NOW = datetime.now(UTC).replace(microsecond=0)
CASE = "UC-2026-0512"
PLATE = "7CAS512"
BASIS = {"kind": "court_order", "number": "CO-26-118", "court": "Alameda County Superior Court"}
ASK = {"purpose": "stolen_vehicle", "case_number": CASE, "offense_type": "240",
       "reason": "blue hatchback taken from the station lot"}


@dataclass(frozen=True)
class People:
    finn: str
    sam: str


@pytest.fixture
def people(settings: Settings, seed: Seed) -> People:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        finn, sam = new_totp_secret(), new_totp_secret()
        catalog.add_user(seed.fpd_id, "finn", PASSWORD, ["investigator"], totp_secret=finn)
        catalog.add_user(seed.ucpd_id, "sam", PASSWORD, ["supervisor"], totp_secret=sam)
        return People(finn, sam)
    finally:
        catalog.close()


@pytest.fixture
def api(settings: Settings, seed: Seed, people: People) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.app.state.store.insert_reads([  # type: ignore[attr-defined]
            make_read(PLATE, camera=f"uc-cam-{i}", owner=seed.ucpd_id, minutes_ago=30 + i,
                      now=NOW) for i in range(3)
        ] + [make_read(PLATE, camera="fr-cam", owner=seed.fpd_id, minutes_ago=40, now=NOW)])
        yield test_client


def _search(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/searches", headers=headers, json={
        "kind": "exact", "params": {"plate": PLATE}, **ASK, **extra})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _world(api: TestClient, seed: Seed, people: People) -> tuple[dict[str, str], ...]:
    ivy = login(api, "ivy", code(seed.investigator_totp))
    finn = login(api, "finn", code(people.finn))
    audrey = login(api, "audrey", code(seed.auditor_totp))
    return ivy, finn, audrey


def test_a_case_holds_its_agencys_searches_and_refuses_everyone_else(
    api: TestClient, seed: Seed, people: People
) -> None:
    ivy, finn, audrey = _world(api, seed, people)
    opened = api.post("/v1/cases", headers=ivy, json={"number": CASE, "title": "blue hatchback"})
    assert opened.status_code == 201, opened.text
    assert api.post("/v1/cases", headers=ivy, json={"number": CASE}).status_code == 409
    ours = _search(api, ivy)
    located = _search(api, ivy, kind="locate", legal_basis=BASIS)
    _search(api, finn)  # Fremont, same case number

    shown = api.get(f"/v1/cases/{CASE}", headers=ivy)
    assert shown.status_code == 200, shown.text
    searches = shown.json()["searches"]
    assert [s["search_id"] for s in searches] == [ours["search_id"], located["search_id"]]
    assert searches[0]["legal_basis"] == "none recorded"
    assert searches[1]["legal_basis"] == "court order CO-26-118 (Alameda County Superior Court)"
    assert searches[0]["result_count"] == ours["total"] == 3
    assert searches[0]["owners_denied"] == [{"agency": "fpd", "policy_ids": ["default-deny"]}]
    assert searches[0]["audit_index"] == ours["audit_index"]
    assert [c["number"] for c in api.get("/v1/cases", headers=ivy).json()] == [CASE]

    for path in (f"/v1/cases/{CASE}", f"/v1/cases/{CASE}/report?format=pdf",
                 f"/v1/cases/{CASE}/report?format=html"):
        refused = api.get(path, headers=finn)
        assert refused.status_code == 404, refused.text  # another agency's investigator
        assert refused.json()["error"]["code"] == "no_such_case"
        assert api.get(path).status_code == 401  # the public
        assert api.get(path, headers=audrey).status_code == 403  # an auditor: role-export
    assert api.get("/v1/cases", headers=finn).json() == []
    assert api.patch(f"/v1/cases/{CASE}", headers=finn,
                     json={"status": "closed"}).status_code == 404
    closed = api.patch(f"/v1/cases/{CASE}", headers=ivy, json={"status": "closed"})
    assert closed.status_code == 200 and closed.json()["closed_by"] == "ivy"
    entry = api.get(f"/v1/audit/entries/{closed.json()['change_index']}").json()
    assert entry["summary"]["type"] == "case_change"
    assert api.patch(f"/v1/cases/{CASE}", headers=ivy,
                     json={"status": "closed"}).status_code == 409
    assert api.get("/v1/cases", headers=ivy, params={"status": "open"}).json() == []
    assert [c["status"] for c in api.get("/v1/cases", headers=ivy,
                                         params={"status": "closed"}).json()] == ["closed"]


def _pdf_parses(pdf: bytes) -> None:
    """The file is a PDF whose cross-reference table points at its objects."""
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    start = int(pdf[pdf.rindex(b"startxref") + 9:].split()[0])
    assert pdf[start:start + 4] == b"xref"
    lines = pdf[start:].split(b"trailer")[0].splitlines()
    first, count = (int(n) for n in lines[1].split())
    offsets = [int(line.split()[0]) for line in lines[2:2 + count] if line.endswith(b"n")
               or line.rstrip().endswith(b"n")]
    assert offsets
    for number, offset in enumerate(offsets, start=first + 1):
        assert re.match(rb"%d 0 obj" % number, pdf[offset:offset + 16]), (number, offset)


def _pdf_text(pdf: bytes) -> list[str]:
    """The text lines of an uncompressed PDF of core fonts (WinAnsiEncoding)."""
    found = re.findall(rb"\(((?:[^()\\]|\\.)*)\) ?Tj", pdf)
    return [re.sub(rb"\\(.)", rb"\1", f).decode("cp1252") for f in found]


def _pdf_proofs(pdf: bytes) -> tuple[str, list[tuple[int, bytes, list[bytes]]]]:
    """The signed checkpoint note and the proofs (index, leaf hash, path) a report PDF
    prints, read back from its text."""
    lines = _pdf_text(pdf)
    start = next(i for i, t in enumerate(lines) if t.startswith("Signed checkpoint"))
    end = next(i for i, t in enumerate(lines) if t.startswith("Verifier key: "))
    note = "".join(("" if t == " " else t) + "\n" for t in lines[start + 1:end])
    proofs: list[tuple[int, bytes, list[bytes]]] = []
    for text in lines[end:]:
        if text.startswith("Proof of leaf "):
            proofs.append((int(text.split()[3]), b"", []))
        elif text.startswith("leaf hash: "):
            proofs[-1] = (proofs[-1][0], base64.b64decode(text.split()[2]), [])
        elif text.startswith("audit path: "):
            proofs[-1][2].append(base64.b64decode(text.split()[2]))
    return note, proofs


def test_the_report_proves_each_search_against_the_signed_checkpoint(
    api: TestClient, seed: Seed, people: People
) -> None:
    ivy, finn, _ = _world(api, seed, people)
    api.post("/v1/cases", headers=ivy, json={"number": CASE, "title": "blue hatchback"})
    ids = [_search(api, ivy)["search_id"], _search(api, ivy, kind="locate",
                                                  legal_basis=BASIS)["search_id"]]
    theirs = _search(api, finn)["search_id"]
    key = api.get("/v1/audit/key").text.strip()

    html = api.get(f"/v1/cases/{CASE}/report", headers=ivy, params={"format": "html"})
    assert html.status_code == 200, html.text
    assert "script-src" not in html.headers["content-security-policy"]
    page = html.text
    assert all(i in page for i in ids) and theirs not in page
    assert "CO-26-118" in page and "none recorded" in page and "does not list the reads" in page
    data = json.loads(re.search(r'<script type="application/json" id="proofs">(.*?)</script>',
                                page, re.S).group(1))  # type: ignore[union-attr]
    checkpoint = verify_checkpoint(data["checkpoint"], key)  # signed by the published key
    assert data["size"] == checkpoint.size
    report_index = int(html.headers["X-Audit-Index"])
    assert [p["index"] for p in data["proofs"]][-1] == report_index
    assert len(data["proofs"]) == len(ids) + 1
    for proof in data["proofs"]:
        verify_inclusion(proof["index"], checkpoint.size, base64.b64decode(proof["leaf_hash"]),
                         [base64.b64decode(h) for h in proof["hashes"]], checkpoint.root_hash)
        public = api.get(f"/v1/audit/entries/{proof['index']}").json()
        assert public["leaf_hash"] == proof["leaf_hash"]
    logged = api.get(f"/v1/audit/entries/{report_index}").json()["summary"]
    assert logged["type"] == "case_report" and "case_number" not in logged

    pdf = api.get(f"/v1/cases/{CASE}/report", headers=ivy, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    _pdf_parses(pdf.content)
    assert all(i.encode() in pdf.content for i in ids) and theirs.encode() not in pdf.content
    assert b"CO-26-118" in pdf.content and b"none recorded" in pdf.content
    # The PDF alone: its checkpoint and proofs (a report of its own) verify as well.
    note, proofs = _pdf_proofs(pdf.content)
    checkpoint = verify_checkpoint(note, key)
    assert len(proofs) == len(ids) + 1
    for index, leaf, path in proofs:
        verify_inclusion(index, checkpoint.size, leaf, path, checkpoint.root_hash)
    assert int(pdf.headers["X-Audit-Index"]) > report_index  # each report its own entry
    as_json = api.get(f"/v1/cases/{CASE}/report", headers=ivy, params={"format": "json"})
    assert as_json.json()["reads_listed"] is False
    assert [s["search_id"] for s in as_json.json()["searches"]] == ids
