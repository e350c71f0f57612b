"""Attacks on three promises, on the real app, catalog, log and store.

- **The audit log over HTTP** (docs/audit.md, *Who sees what*, *Audit export*): another
  agency's auditor reads no plate, case number or reason of Union City's searches through
  any route, filter, page or export format; every path that serves more than the public
  summary is logged first and serves nothing when that entry cannot be written; nothing a
  client sends (body fields, headers, ``requested_by``) makes the log lie about who
  searched or for whom.
- **The ingest quarantine** (tests/api/test_quarantine_http.py): items are their agency's
  alone — another agency's admin can neither list, read, replay, discard nor re-route
  them — and a replay stores a read once, into the sending agency's camera only, and is
  a logged change (no entry, no change).
- **Image uploads** (``POST /v1/images``, ``POST /v1/recognize/box``): decompression
  bombs, truncated or non-image bodies, huge bodies and wrong content types each get a
  clear 4xx, never a 500 or a traceback. Bombs are declared in a PNG header, never
  allocated here.
"""

from __future__ import annotations

import io
import json
import random
import struct
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import Seed, code, login
from tests.conftest import _empty
from tests.factories import make_read

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
ALPRD_BODY = (FORMATS / "openalpr_alprd_post.json").read_bytes()
ALPRD = {"Accept": "application/json", "Content-Type": "application/json", "charsets": "utf-8"}

PLATE, CASE, REASON = "7HOLE42", "UC-SECRET-9071", "following the blue pickup of an informant"
SECRETS = (PLATE, CASE, REASON)
SEARCH = {"kind": "exact", "params": {"plate": PLATE}, "purpose": "stolen_vehicle",
          "offense_type": "240", "case_number": CASE, "reason": REASON}


# --- fixtures and helpers -------------------------------------------------------------


@pytest.fixture
def ivy(client: TestClient, seed: Seed) -> dict[str, str]:
    """Union City's investigator, logged in once (a one-time code serves once)."""
    return login(client, "ivy", code(seed.investigator_totp))


@pytest.fixture
def searched(client: TestClient, seed: Seed, ivy: dict[str, str]) -> int:
    """Union City's investigator finds one of Union City's reads; the entry's index."""
    client.app.state.store.insert_reads(  # type: ignore[attr-defined]
        [make_read(PLATE, owner=seed.ucpd_id)])
    response = client.post("/v1/searches", json=SEARCH, headers=ivy)
    assert response.status_code == 200, response.text
    assert response.json()["total"] >= 1  # (the store is shared by the session)
    return int(response.json()["audit_index"])


def size(client: TestClient) -> int:
    return int(client.app.state.audit_log.size())  # type: ignore[attr-defined]


def entry(client: TestClient, index: int) -> dict[str, Any]:
    return dict(client.app.state.audit_log.entry(index).entry)  # type: ignore[attr-defined]


def refuse_appends(client: TestClient) -> None:
    """From now on the database refuses new audit entries; reading old ones still works."""
    with client.app.state.catalog.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_appends BEFORE INSERT ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'the audit log refuses appends'); END")


def text_of(content: bytes) -> str:
    """The text of an answer; an XLSX workbook's XML parts, unzipped."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return content.decode("utf-8", "replace")


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} leaks `{secret}`"


# --- the audit log: another agency's auditor ------------------------------------------


def test_another_agencys_auditor_pages_the_whole_log_and_reads_no_secret(
    client: TestClient, seed: Seed, fay: str, searched: int
) -> None:
    """Promise: Fremont's auditor is served Union City's search in the public summary
    only (Fremont denied it by default and shares nothing with Union City: not even who
    tried, nor what or why). Attack: read it through every page shape — the whole
    log, a page of one, a page starting past the entry, every entry one by one."""
    fpd = login(client, "fay", code(fay))
    end = size(client)
    pages = [
        client.get("/v1/audit/entries", params={"full": 1, "start": 0, "limit": 1000},
                   headers=fpd),
        client.get("/v1/audit/entries", params={"full": 1, "start": searched, "limit": 1},
                   headers=fpd),
        client.get("/v1/audit/entries", params={"full": 1, "start": end + 5}, headers=fpd),
        *(client.get(f"/v1/audit/entries/{i}", params={"full": 1}, headers=fpd)
          for i in range(end)),
    ]
    assert {p.status_code for p in pages} == {200}
    for page in pages:
        assert_no_secret(page.text, str(page.request.url))
    item = pages[1].json()["entries"][0]
    assert item["view"] == "public" and "entry" not in item
    assert all('"ivy"' not in page.text for page in pages)


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "xlsx", "json"])
def test_another_agencys_auditor_exports_no_row_of_the_search_in_any_format(
    client: TestClient, seed: Seed, fay: str, searched: int, fmt: str
) -> None:
    """Promise: an export lists only entries the reader's agency is served in full or as
    an owner whose reads were returned. Attack: Fremont's auditor exports the whole log
    (every index window) in each format."""
    fpd = login(client, "fay", code(fay))
    response = client.get("/v1/audit/export",
                          params={"format": fmt, "start": 0, "end": size(client) + 100},
                          headers=fpd)
    assert response.status_code == 200, response.text
    assert_no_secret(text_of(response.content), fmt)
    if fmt == "json":
        assert response.json()["total"] == 0 and response.json()["rows"] == []
    else:
        assert response.headers["x-exported-count"] == "0"


@pytest.mark.parametrize("where", [
    {"agency": "ucpd"}, {"user": "ivy"}, {"case": CASE}, {"purpose": "stolen_vehicle"},
    {"offense": "240"}, {"kind": "exact"}, {"decision": "denied"}, {"decision": "allowed"},
])
def test_export_filters_are_no_oracle_on_another_agencys_searches(
    client: TestClient, seed: Seed, fay: str, searched: int, where: dict[str, str]
) -> None:
    """Promise: filters apply only to the rows the reader may see. Attack: Fremont's
    auditor filters the JSON export on Union City's user, case number, purpose … and reads
    the ``total`` for a yes/no answer, far past the last row."""
    fpd = login(client, "fay", code(fay))
    response = client.get("/v1/audit/export",
                          params={"format": "json", "offset": 10_000, **where}, headers=fpd)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 0


def test_the_owner_of_the_searched_reads_sees_the_search_and_the_reading_is_logged(
    client: TestClient, seed: Seed, searched: int
) -> None:
    """Control for the attacks above: Union City's own auditor does see the plate, case
    and reason in the export, and the export is an ``audit_read`` entry naming it."""
    audrey = login(client, "audrey", code(seed.auditor_totp))
    before = size(client)
    response = client.get("/v1/audit/export", params={"format": "csv"}, headers=audrey)
    assert response.status_code == 200, response.text
    for secret in SECRETS:
        assert secret in response.text
    logged = entry(client, before)
    assert logged["type"] == "audit_read" and logged["export"] is True
    assert searched in logged["indexes"] and logged["user"] == "audrey"


@pytest.mark.parametrize("who", ["ivy", "ucpd-admin", "fpd-admin"])
def test_users_who_are_not_auditors_read_no_full_entry_or_export(
    client: TestClient, ivy: dict[str, str], searched: int, who: str
) -> None:
    """Promise: full entries, bundles and exports are for auditors and supervisors.
    Attack: the investigator who searched, and admins of either agency, ask for them."""
    headers = ivy if who == "ivy" else login(client, who)
    before = size(client)
    for path, params in [
        ("/v1/audit/entries", {"full": 1, "start": 0, "limit": 1000}),
        (f"/v1/audit/entries/{searched}", {"full": 1}),
        ("/v1/audit/export", {"format": "csv"}),
        ("/v1/audit/export", {"format": "json"}),
        ("/v1/audit/tlog/tile/entries/000.p/1", {}),
    ]:
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert_no_secret(response.text, path)
    assert size(client) == before


# --- the audit log: fail closed ----------------------------------------------------------


@pytest.mark.parametrize("path, params", [
    ("/v1/audit/entries", {"full": 1, "start": 0, "limit": 1000}),
    ("/v1/audit/entries/{index}", {"full": 1}),
    ("/v1/audit/export", {"format": "csv"}),
    ("/v1/audit/export", {"format": "ndjson"}),
    ("/v1/audit/export", {"format": "xlsx"}),
    ("/v1/audit/export", {"format": "json"}),
    ("/v1/audit/tlog/tile/entries/000.p/{width}", {}),
])
def test_no_audit_read_entry_means_no_audit_content(
    client: TestClient, seed: Seed, searched: int, path: str, params: dict[str, Any]
) -> None:
    """Promise: each reading that serves more than the public summary is logged first;
    if that entry cannot be written, nothing is served. Attack: the log refuses appends
    while Union City's own auditor reads by every route."""
    audrey = login(client, "audrey", code(seed.auditor_totp))
    width = size(client)
    refuse_appends(client)
    response = client.get(path.format(index=searched, width=width), params=params,
                          headers=audrey)
    assert response.status_code == 503, response.text
    assert_no_secret(text_of(response.content), path)
    assert "Traceback" not in response.text


def test_an_export_page_that_cannot_be_logged_tells_nothing(
    client: TestClient, seed: Seed, searched: int
) -> None:
    """Promise: no entry, no content. Attack: with the log refusing appends, Union City's
    auditor asks for a JSON export page past the last row, filtered on a case number: no
    row is served, so nothing is logged — but ``total`` still says whether (and how often)
    that case number was searched, an unlogged probe of the audit contents."""
    audrey = login(client, "audrey", code(seed.auditor_totp))
    refuse_appends(client)
    response = client.get("/v1/audit/export",
                          params={"format": "json", "offset": 999, "case": CASE},
                          headers=audrey)
    assert response.status_code == 503, response.text


# --- the audit log: who searched, as the client tells it -------------------------------


def test_body_fields_cannot_name_another_user_or_agency(
    client: TestClient, seed: Seed
) -> None:
    """Promise: who searched comes from the login, never from the request. Attack: the
    search body carries ``user``, ``agency``, ``acting_for`` and
    ``requested_by_agency`` of Fremont's choosing: refused whole, nothing logged."""
    ivy = login(client, "ivy", code(seed.investigator_totp))
    before = size(client)
    for extra in ({"user": "fpd-admin"}, {"agency": "fpd"}, {"acting_for": "fpd"},
                  {"requested_by_agency": "fpd"}, {"agency_facts": {"ucpd": {"class": "state"}}}):
        response = client.post("/v1/searches", json=SEARCH | extra, headers=ivy)
        assert response.status_code == 422, (extra, response.text)
    assert size(client) == before


def test_headers_cannot_change_who_the_log_says_searched(
    client: TestClient, seed: Seed
) -> None:
    """Promise: the entry names the logged-in user and the catalog's agency. Attack: the
    investigator's search carries proxy and impersonation headers naming someone else."""
    ivy = login(client, "ivy", code(seed.investigator_totp))
    spoof = {"X-Forwarded-User": "fpd-admin", "X-Remote-User": "fpd-admin",
             "X-User": "fpd-admin", "X-Agency": "fpd", "X-Acting-For": "fpd",
             "X-Requested-By": "fpd", "X-On-Behalf-Of": "fpd", "X-Forwarded-For": "10.9.9.9"}
    response = client.post("/v1/searches", json=SEARCH, headers=ivy | spoof)
    assert response.status_code == 200, response.text
    logged = entry(client, int(response.json()["audit_index"]))
    assert logged["user"] == "ivy" and logged["agency"] == "ucpd"
    assert logged["requested_by_agency"] == "ucpd" and "acting_for" not in logged
    assert "fpd-admin" not in json.dumps(logged)


def test_a_user_acting_for_another_agency_cannot_search_as_its_own(
    client: TestClient, seed: Seed, settings: Settings
) -> None:
    """Promise: a user an administrator recorded as acting for another agency makes every
    request for it, and the log says so. Attack: the officer names their own agency (and
    an unknown or differently-spelt one) as ``requested_by``."""
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.set_acting_for("ivy", seed.fpd_id)
    finally:
        catalog.close()
    ivy = login(client, "ivy", code(seed.investigator_totp))
    before = size(client)
    for slug in ("ucpd", "UCPD", "ucpd ", "nobody"):
        response = client.post("/v1/searches", json=SEARCH | {"requested_by": slug},
                               headers=ivy)
        assert 400 <= response.status_code < 500, (slug, response.text)
        assert PLATE not in response.text
    for index in range(before, size(client)):  # a refusal may be logged, truthfully
        logged = entry(client, index)
        assert logged.get("requested_by_agency") in (None, "fpd"), logged
    allowed = client.post("/v1/searches", json=SEARCH, headers=ivy)
    assert allowed.status_code == 200, allowed.text
    logged = entry(client, int(allowed.json()["audit_index"]))
    assert logged["user"] == "ivy" and logged["agency"] == "ucpd"
    assert logged["acting_for"] == "fpd" and logged["requested_by_agency"] == "fpd"


# --- the quarantine ---------------------------------------------------------------------


@pytest.fixture
def held(client: TestClient, settings: Settings, seed: Seed) -> dict[str, Any]:
    """One of Union City's alprd posts from an unmapped camera, kept in quarantine; a
    Fremont camera and key exist beside it. The session's store is emptied first."""
    _empty(client.app.state.store)  # type: ignore[attr-defined]
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-lot-north-1", seed.ucpd_id, lat=37.59, lon=-122.02)
        catalog.add_camera("fpd-gate", seed.fpd_id, lat=37.55, lon=-121.98)
        key = catalog.issue_api_key(seed.ucpd_id, label="lot north bridge")
        fpd_key = catalog.issue_api_key(seed.fpd_id, label="gate")
    finally:
        catalog.close()
    admin = login(client, "ucpd-admin")
    turned = client.put(f"/v1/admin/quarantine/credentials/api_key/{key.split('_')[1]}",
                        json={"enabled": True}, headers=admin)
    assert turned.status_code == 204, turned.text
    posted = client.post("/v1/reads/openalpr", content=ALPRD_BODY,
                         headers=ALPRD | {"X-API-Key": key})
    assert posted.status_code == 200, posted.text
    [item_id] = posted.json()["quarantined"]
    return {"item": item_id, "key": key, "fpd_key": fpd_key, "admin": admin}


def reads_with_plate(client: TestClient, plate: str) -> list[dict[str, Any]]:
    store = client.app.state.store  # type: ignore[attr-defined]
    rows = store.query("SELECT camera_id, owner_id FROM {db}.reads WHERE plate = {p:String}",
                       {"p": plate})
    return list(rows.to_pylist())


def test_another_agencys_admin_finds_no_item_by_any_filter_or_id(
    client: TestClient, held: dict[str, Any]
) -> None:
    """Promise: the quarantine is listed for its agency's admin only. Attack: Fremont's
    admin lists with Union City's credential prefix, every status, format and reason, and
    walks the item ids (and their neighbours) with replay and discard."""
    fpd = login(client, "fpd-admin")
    prefix = held["key"].split("_")[1]
    for params in ({}, {"credential": prefix}, {"status": "held"}, {"format": "openalpr"},
                   {"reason": "unknown camera"}, {"reason": "lot-north"}, {"limit": 500}):
        listed = client.get("/v1/admin/quarantine", params=params, headers=fpd)
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == 0 and listed.json()["items"] == [], params
    for item_id in range(max(1, held["item"] - 2), held["item"] + 3):
        for action in ("replay", "discard"):
            tried = client.post(f"/v1/admin/quarantine/{item_id}/{action}", headers=fpd)
            assert tried.status_code == 404, (item_id, action, tried.text)
            assert "YG9X2G" not in tried.text
    mine = client.get("/v1/admin/quarantine", params={"status": "held"},
                      headers=held["admin"]).json()
    assert [i["id"] for i in mine["items"]] == [held["item"]]


@pytest.mark.parametrize("who", ["ivy", "audrey", "camera key"])
def test_only_an_admin_reads_the_quarantine(
    client: TestClient, seed: Seed, held: dict[str, Any], who: str
) -> None:
    """Promise: the quarantine is an admin's tool. Attack: Union City's investigator,
    auditor and the camera's own key list it, replay and discard the item."""
    headers = {
        "ivy": lambda: login(client, "ivy", code(seed.investigator_totp)),
        "audrey": lambda: login(client, "audrey", code(seed.auditor_totp)),
        "camera key": lambda: {"X-API-Key": held["key"]},
    }[who]()
    assert client.get("/v1/admin/quarantine", headers=headers).status_code in (401, 403)
    for action in ("replay", "discard"):
        tried = client.post(f"/v1/admin/quarantine/{held['item']}/{action}", headers=headers)
        assert tried.status_code in (401, 403), tried.text


def test_another_agencys_admin_cannot_switch_quarantine_for_a_foreign_credential(
    client: TestClient, held: dict[str, Any]
) -> None:
    """Promise: an admin sets quarantine for their agency's credentials only. Attack:
    Fremont's admin turns Union City's key's quarantine off (and on)."""
    fpd = login(client, "fpd-admin")
    prefix = held["key"].split("_")[1]
    for enabled in (False, True):
        tried = client.put(f"/v1/admin/quarantine/credentials/api_key/{prefix}",
                           json={"enabled": enabled}, headers=fpd)
        assert tried.status_code in (403, 404), tried.text
    again = client.post("/v1/reads/openalpr", content=ALPRD_BODY,
                        headers=ALPRD | {"X-API-Key": held["key"]})
    assert again.status_code == 200 and len(again.json()["quarantined"]) == 1


def test_a_foreign_alias_does_not_route_an_item_into_another_agencys_camera(
    client: TestClient, held: dict[str, Any]
) -> None:
    """Promise: a replay stores reads of the sending agency's cameras only. Attack:
    Fremont's admin maps the vendor camera name of Union City's held item to Fremont's
    own camera, then Union City's admin replays it: still refused, nothing stored in
    Fremont's camera; once Union City maps it, it goes to Union City's."""
    fpd = login(client, "fpd-admin")
    alias = {"source_format": "openalpr", "external_key": "lot-north-cam1",
             "camera_id": "fpd-gate"}
    assert client.post("/v1/admin/camera-aliases", json=alias, headers=fpd).status_code == 201
    replayed = client.post(f"/v1/admin/quarantine/{held['item']}/replay",
                           headers=held["admin"])
    assert replayed.status_code == 422, replayed.text
    assert reads_with_plate(client, "YG9X2G") == []
    ours = alias | {"camera_id": "ucpd-lot-north-1"}
    assert client.post("/v1/admin/camera-aliases", json=ours,
                       headers=held["admin"]).status_code == 201
    replayed = client.post(f"/v1/admin/quarantine/{held['item']}/replay",
                           headers=held["admin"])
    assert replayed.status_code == 200, replayed.text
    assert [r["camera_id"] for r in reads_with_plate(client, "YG9X2G")] == ["ucpd-lot-north-1"]


def test_an_item_posted_for_another_agencys_camera_never_replays_into_it(
    client: TestClient, held: dict[str, Any]
) -> None:
    """Promise: a key stores reads of its own agency's cameras only. Attack: Union City's
    key posts with ``?camera=fpd-gate`` (Fremont's camera); the item is kept and Union
    City's admin replays it, and tries to alias the name onto Fremont's camera."""
    posted = client.post("/v1/reads/openalpr", content=ALPRD_BODY,
                         params={"camera": "fpd-gate"},
                         headers=ALPRD | {"X-API-Key": held["key"]})
    assert posted.status_code in (200, 422), posted.text
    for item_id in posted.json().get("quarantined", []):
        replayed = client.post(f"/v1/admin/quarantine/{item_id}/replay",
                               headers=held["admin"])
        assert replayed.status_code == 422, replayed.text
    foreign = client.post("/v1/admin/camera-aliases", headers=held["admin"], json={
        "source_format": "openalpr", "external_key": "lot-north-cam1", "camera_id": "fpd-gate"})
    assert foreign.status_code == 404
    assert [r for r in reads_with_plate(client, "YG9X2G") if r["camera_id"] == "fpd-gate"] == []


def test_a_replayed_item_is_stored_once_and_can_be_neither_replayed_nor_discarded(
    client: TestClient, held: dict[str, Any]
) -> None:
    """Promise: a replay stores the read once, however often it is asked. Attack: replay,
    replay again, discard after, and have the camera post the same read once more."""
    admin = held["admin"]
    assert client.post("/v1/admin/camera-aliases", headers=admin, json={
        "source_format": "openalpr", "external_key": "lot-north-cam1",
        "camera_id": "ucpd-lot-north-1"}).status_code == 201
    first = client.post(f"/v1/admin/quarantine/{held['item']}/replay", headers=admin)
    assert first.status_code == 200, first.text
    for action in ("replay", "discard", "replay"):
        again = client.post(f"/v1/admin/quarantine/{held['item']}/{action}", headers=admin)
        assert again.status_code == 409, (action, again.text)
    direct = client.post("/v1/reads/openalpr", content=ALPRD_BODY,
                         headers=ALPRD | {"X-API-Key": held["key"]})
    assert direct.status_code == 200, direct.text
    assert len(reads_with_plate(client, "YG9X2G")) == 1
    changes = [entry(client, i) for i in range(size(client))]
    replays = [e for e in changes if e["type"] == "quarantine_change"
               and str(e.get("object_id")) == str(held["item"])]
    assert [e["change"] for e in replays] == ["replay_start", "replay"]  # one replay


def test_a_quarantine_listing_that_cannot_be_logged_shows_nothing(
    client: TestClient, held: dict[str, Any]
) -> None:
    """Promise: each listing is logged before it is answered. Attack: the log refuses
    appends while the admin lists."""
    refuse_appends(client)
    listed = client.get("/v1/admin/quarantine", headers=held["admin"])
    assert listed.status_code == 503, listed.text
    assert "lot-north-cam1" not in listed.text and "items" not in listed.json()


def test_a_replay_that_cannot_be_logged_stores_nothing(
    client: TestClient, held: dict[str, Any]
) -> None:
    """Promise (docs/audit.md, *Change log*): if a change's entry cannot be appended, the
    change is not made. Attack: the admin replays while the log refuses appends; the
    replay must store no read (else a read enters the store with no record of who let it
    in, and the item, still held, can be discarded as if it never was)."""
    admin = held["admin"]
    assert client.post("/v1/admin/camera-aliases", headers=admin, json={
        "source_format": "openalpr", "external_key": "lot-north-cam1",
        "camera_id": "ucpd-lot-north-1"}).status_code == 201
    refuse_appends(client)
    lenient = TestClient(client.app, raise_server_exceptions=False)
    replayed = lenient.post(f"/v1/admin/quarantine/{held['item']}/replay", headers=admin)
    assert reads_with_plate(client, "YG9X2G") == [], f"stored; answered {replayed.text}"
    assert replayed.status_code == 503, replayed.text


# --- image uploads ----------------------------------------------------------------------


@pytest.fixture
def camera(client: TestClient, settings: Settings, seed: Seed) -> Iterator[dict[str, str]]:
    """The key headers of a Union City camera, ``ucpd-cam-7``."""
    catalog = open_catalog(settings)
    try:
        catalog.add_camera("ucpd-cam-7", seed.ucpd_id, lat=37.59, lon=-122.02)
        key = catalog.issue_api_key(seed.ucpd_id, label="cam 7")
    finally:
        catalog.close()
    yield {"X-API-Key": key}


@pytest.fixture
def server(client: TestClient) -> TestClient:
    """The same app, answering an unexpected exception with a 500 as a server does."""
    return TestClient(client.app, raise_server_exceptions=False)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def declared_png(width: int, height: int, rows: int = 4) -> bytes:
    """A valid-looking PNG header declaring ``width``×``height`` RGB pixels, followed by a
    few compressed rows of zeros: small on the wire, huge only if decoded in full."""
    raw = zlib.compress(b"\x00" * (1 + 3 * min(width, 4096)) * rows, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", raw)
            + _chunk(b"IEND", b""))


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def post_image(server: TestClient, camera: dict[str, str], data: bytes,
               content_type: str = "image/png") -> Any:
    return server.post("/v1/images", headers=camera,
                       files={"image": ("frame.png", data, content_type)},
                       data={"camera_id": "ucpd-cam-7"})


def post_box(server: TestClient, camera: dict[str, str], data: bytes,
             box: str = "0,0,10,10") -> Any:
    return server.post("/v1/recognize/box", headers=camera,
                       files={"image": ("frame.png", data, "image/png")}, data={"box": box})


def assert_clear_4xx(response: Any, status: int | tuple[int, ...] = 422) -> None:
    wanted = status if isinstance(status, tuple) else (status,)
    assert response.status_code in wanted, response.text
    assert "Traceback" not in response.text
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("width, height", [(50_000, 50_000), (8_000, 7_000), (1, 60_000_000)])
@pytest.mark.parametrize("route", ["images", "box"])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(
    server: TestClient, camera: dict[str, str], route: str, width: int, height: int
) -> None:
    """Promise: a frame over 50 MP is refused before decoding (docs/recognition.md).
    Attack: a PNG of a few hundred bytes declaring 50,000×50,000 pixels (past Pillow's
    own bomb limit), 8,000×7,000 (past ours, under Pillow's), and a 1-pixel-wide strip of
    60 million rows."""
    bomb = declared_png(width, height)
    assert len(bomb) < 20_000
    post = post_image if route == "images" else post_box
    response = post(server, camera, bomb)
    assert_clear_4xx(response)
    assert response.json()["error"]["code"] == "bad_image"


@pytest.mark.parametrize("body", [
    b"",
    b"hello, this is not an image",
    b'{"plate": "7ABC123"}',
    b"%PDF-1.4\n1 0 obj << >> endobj\n",
    b"PK\x03\x04" + b"\x00" * 40,
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
], ids=["empty", "text", "json", "pdf", "zip", "png-signature", "png-cut-ihdr", "jpeg-cut"])
def test_non_images_and_truncated_images_get_a_clear_422(
    server: TestClient, camera: dict[str, str], body: bytes
) -> None:
    """Promise: a corrupt, truncated, empty or non-image upload is a 422 with a message.
    Attack: each of these posted as an image to both routes."""
    assert_clear_4xx(post_image(server, camera, body))
    assert_clear_4xx(post_box(server, camera, body))


def test_a_png_cut_in_its_pixel_data_gets_a_clear_422(
    server: TestClient, camera: dict[str, str]
) -> None:
    """Attack: a real 640×480 PNG cut off half-way through its compressed pixels."""
    rng = random.Random(3)
    noise = Image.frombytes("RGB", (640, 480), bytes(rng.getrandbits(8) for _ in range(921_600)))
    whole = encoded(noise, "PNG")
    assert_clear_4xx(post_image(server, camera, whole[: len(whole) // 2]))
    assert_clear_4xx(post_box(server, camera, whole[: len(whole) // 2]))


def test_an_upload_over_the_size_limit_is_413(
    server: TestClient, camera: dict[str, str]
) -> None:
    """Promise: an oversized image is a 413. Attack: 21 MB posted as a PNG."""
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (21 * 1024 * 1024)
    assert_clear_4xx(post_image(server, camera, big), 413)
    assert_clear_4xx(post_box(server, camera, big), 413)


@pytest.mark.parametrize("how", ["json body", "raw png body", "image as a text field",
                                 "no image field", "urlencoded"])
def test_a_body_of_the_wrong_content_type_gets_a_clear_422(
    server: TestClient, camera: dict[str, str], how: str
) -> None:
    """Promise: a malformed request is a 4xx naming what is wrong. Attack: the image
    route fed JSON, a bare PNG body, the image as a text field, no image, a form."""
    png = encoded(Image.new("RGB", (64, 32)), "PNG")
    calls = {
        "json body": lambda: server.post("/v1/images", headers=camera,
                                         json={"image": "AAAA", "camera_id": "ucpd-cam-7"}),
        "raw png body": lambda: server.post("/v1/images", content=png,
                                            headers=camera | {"Content-Type": "image/png"}),
        "image as a text field": lambda: server.post(
            "/v1/images", headers=camera, data={"image": "not a file", "camera_id": "ucpd-cam-7"},
            files={"other": ("x.txt", b"x", "text/plain")}),
        "no image field": lambda: server.post(
            "/v1/images", headers=camera, data={"camera_id": "ucpd-cam-7"},
            files={"other": ("x.txt", b"x", "text/plain")}),
        "urlencoded": lambda: server.post("/v1/images", headers=camera,
                                          data={"image": "x", "camera_id": "ucpd-cam-7"}),
    }
    assert_clear_4xx(calls[how]())


@pytest.mark.parametrize("build", [
    lambda: encoded(Image.new("RGB", (1, 1)), "PNG"),
    lambda: encoded(Image.new("RGB", (40_000, 1)), "PNG"),
    lambda: encoded(Image.new("I;16", (320, 120)), "PNG"),
    lambda: encoded(Image.new("CMYK", (320, 120)), "JPEG"),
    lambda: encoded(Image.new("P", (320, 120)), "GIF"),
    lambda: encoded(Image.new("F", (320, 120)), "TIFF"),
], ids=["1x1", "40000x1", "16-bit grey", "cmyk jpeg", "gif", "float tiff"])
def test_odd_but_valid_images_never_crash_the_server(
    server: TestClient, camera: dict[str, str], build: Any
) -> None:
    """Promise: no upload ends in a 500. Attack: images of odd shapes and pixel modes
    that decode fine but are no camera frame."""
    response = post_image(server, camera, build())
    assert response.status_code in (200, 422), response.text
    boxed = post_box(server, camera, build(), box="0,0,1,1")
    assert boxed.status_code in (200, 422), boxed.text


@pytest.mark.parametrize("box", ["0,0,99999999999999999999,1", "-1,0,5,5", "0,0,0,0",
                                 "1,2,3", "a,b,c,d", "0,0,10,10,10"])
def test_a_malformed_box_gets_a_clear_422(
    server: TestClient, camera: dict[str, str], box: str
) -> None:
    """Attack: boxes that overflow, go negative, are empty, too short or too long."""
    png = encoded(Image.new("RGB", (64, 32)), "PNG")
    assert_clear_4xx(post_box(server, camera, png, box=box))


def test_an_upload_in_a_format_no_camera_sends_is_refused_before_any_decoder_runs(
    server: TestClient, camera: dict[str, str]
) -> None:
    """Promise: the routes take a "JPEG or PNG frame". Attack: a PostScript (EPS) upload,
    which Pillow renders by running Ghostscript where it is installed (a decoder with a
    long record of remote-code-execution bugs). It must be refused as an unsupported
    format, not after an attempt to render it."""
    eps = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n"
           b"newpath 0 0 moveto 100 100 lineto stroke\nshowpage\n%%EOF\n")
    response = post_image(server, camera, eps, "image/png")
    assert_clear_4xx(response)
    assert "not an image in a supported format" in response.json()["error"]["message"]


def test_a_webhook_frame_over_the_body_limit_is_413(
    server: TestClient, camera: dict[str, str]
) -> None:
    """Promise: 16 MiB per body (docs/api.md). Attack: a Plate Recognizer webhook with a
    17 MiB "frame" attached."""
    from tests.api.test_candidates_http import multipart

    webhook = json.loads((FORMATS / "platerecognizer_stream_webhook.json").read_text())
    webhook["data"]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body, content_type = multipart(webhook, b"\xff\xd8" + b"\x00" * (17 * 1024 * 1024))
    response = server.post("/v1/reads/platerecognizer", content=body,
                           headers=camera | {"Content-Type": content_type})
    assert_clear_4xx(response, 413)
