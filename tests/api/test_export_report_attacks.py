"""Attacks on exports, case reports and cases, through the HTTP API, as the person who
wants the data would try them.

The promise: every access to reads is decided per data owner and logged before any result
is returned; an agency's users see only what the owners' policies allow; a user denied by
an owner learns nothing about that owner's reads (not even whether a plate exists there);
a case and its report are the case agency's alone.

World: the API conftest's Union City (ucpd: ivy the investigator, audrey the auditor, an
admin) and Fremont (fpd: an admin), plus Fremont's investigator finn and auditor fran,
Union City's supervisor sam, and a federal unit (fed-sf, home state CA) with its
investigator fiona. Real app, SQLite catalog, chDB store (plates unique per test).

Each test is an attack the code resists; those whose docstring starts with ``Was a
hole:`` failed on the code they were written against and hold the fix.
"""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.access.digest import result_digest
from plateledger.api.app import create_app
from plateledger.catalog import Catalog, new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login
from tests.factories import make_read
from tests.factories import unique_plate as plate

NOW = datetime.now(UTC).replace(microsecond=0)
ASK: dict[str, Any] = {"kind": "exact", "purpose": "stolen_vehicle", "offense_type": "240",
                       "case_number": "UC-2026-0777", "reason": "grey sedan taken from a lot"}


@dataclass(frozen=True)
class World:
    api: TestClient
    seed: Seed
    fed_id: int
    secrets: dict[str, str]
    shared: str
    """Read by two Union City cameras and one Fremont camera."""
    fremont_only: str
    """Read by one Fremont camera only."""
    nowhere: str
    """Read by no camera."""

    def login(self, username: str) -> dict[str, str]:
        secret = self.secrets.get(username)
        return login(self.api, username, code(secret) if secret else None)

    @property
    def catalog(self) -> Catalog:
        return self.api.app.state.catalog  # type: ignore[attr-defined,no-any-return]

    def export(self, headers: dict[str, str], **body: Any) -> Any:
        payload = {**ASK, **body}
        return self.api.post("/v1/exports", headers=headers, json=payload)

    def share(self, admin: str, recipient: str, **terms: Any) -> int:
        """An agreement made by ``admin`` through the API (as an owner's admin does)."""
        body = {"recipient": recipient, "purposes": ["stolen_vehicle"]} | terms
        made = self.api.post("/v1/admin/agreements", headers=self.login(admin), json=body)
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def entry(self, index: int) -> dict[str, Any]:
        """The full stored entry (read straight from the log, as the tests may)."""
        log = self.api.app.state.audit_log  # type: ignore[attr-defined]
        return dict(log.entry(index).entry)


@pytest.fixture
def world(settings: Settings, seed: Seed) -> Iterator[World]:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        fed = catalog.add_agency("Federal Task Force SF", "fed-sf", "federal", "CA")
        secrets = {name: new_totp_secret() for name in ("finn", "fran", "sam", "fiona")}
        secrets |= {"ivy": seed.investigator_totp, "audrey": seed.auditor_totp}
        catalog.add_user(seed.fpd_id, "finn", PASSWORD, ["investigator"],
                         totp_secret=secrets["finn"])
        catalog.add_user(seed.fpd_id, "fran", PASSWORD, ["auditor"], totp_secret=secrets["fran"])
        catalog.add_user(seed.ucpd_id, "sam", PASSWORD, ["supervisor"],
                         totp_secret=secrets["sam"])
        catalog.add_user(fed.id, "fiona", PASSWORD, ["investigator"],
                         totp_secret=secrets["fiona"])
        fed_id = fed.id
    finally:
        catalog.close()
    shared, fremont_only, nowhere = plate("7"), plate("8"), plate("9")
    with TestClient(create_app(settings)) as api:
        api.app.state.store.insert_reads(  # type: ignore[attr-defined]
            [make_read(shared, camera=f"uc-cam-{i}", owner=seed.ucpd_id, minutes_ago=30 + i,
                       now=NOW) for i in range(2)]
            + [make_read(shared, camera="fr-cam", owner=seed.fpd_id, minutes_ago=40, now=NOW),
               make_read(fremont_only, camera="fr-cam", owner=seed.fpd_id, minutes_ago=50,
                         now=NOW)]
        )
        yield World(api, seed, fed_id, secrets, shared, fremont_only, nowhere)


def rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


def owners_in(response: Any) -> set[int]:
    return {int(r["owner_id"]) for r in rows(response)}


def assert_json_4xx(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["message"]
    assert "Traceback" not in response.text


# -- exports: whose reads --------------------------------------------------------------


def test_another_agencys_investigator_exports_none_of_our_reads(world: World) -> None:
    finn = world.login("finn")
    response = world.export(finn, params={"plate": world.shared})
    assert response.status_code == 200, response.text
    assert owners_in(response) == {world.seed.fpd_id}
    assert f"{world.seed.ucpd_id}:default-deny" in response.headers["x-owners-denied"]
    assert response.headers["x-total-count"] == "1"


def test_a_denied_owner_does_not_say_whether_a_plate_exists_there(world: World) -> None:
    """ivy exports a plate only Fremont read and a plate nobody read: everything she gets
    back but the ids of her own entry is the same."""
    ivy = world.login("ivy")
    answers = [world.export(ivy, params={"plate": p}, format=f)
               for p in (world.fremont_only, world.nowhere) for f in ("csv", "ndjson")]
    for response in answers:
        assert response.status_code == 200, response.text
    skip = {"x-audit-index", "content-disposition", "content-length", "date"}
    for fmt in (0, 1):
        one, other = answers[fmt], answers[2 + fmt]
        assert one.content == other.content
        assert {k: v for k, v in one.headers.items() if k not in skip} == \
            {k: v for k, v in other.headers.items() if k not in skip}
    entry = world.entry(int(answers[0].headers["x-audit-index"]))
    assert entry["result_count"] == 0 and entry["returned_by_owner"] == {"ucpd": 0}


def test_naming_the_owner_as_requested_by_does_not_widen_an_export(world: World) -> None:
    finn = world.login("finn")
    response = world.export(finn, params={"plate": world.shared}, requested_by="ucpd")
    assert response.status_code == 200, response.text
    assert world.seed.ucpd_id not in owners_in(response)


def test_a_user_acting_for_the_owner_agency_exports_none_of_its_reads(world: World) -> None:
    world.catalog.set_acting_for("finn", world.seed.ucpd_id)
    finn = world.login("finn")
    response = world.export(finn, params={"plate": world.shared})
    if response.status_code == 200:
        assert world.seed.ucpd_id not in owners_in(response)
    else:
        assert_json_4xx(response)


def test_a_federal_unit_with_an_export_agreement_still_gets_no_california_reads(
    world: World,
) -> None:
    world.share("fpd-admin", "fed-sf", actions=["export", "search"], force=True)
    fiona = world.login("fiona")
    response = world.export(fiona, params={"plate": world.shared})
    assert response.status_code == 200, response.text
    assert rows(response) == []
    assert "ca-civ-1798.90.55b-no-federal" in response.headers["x-owners-denied"]


def test_a_search_only_agreement_lets_the_partner_search_but_not_export(world: World) -> None:
    world.share("fpd-admin", "ucpd", actions=["search"])
    ivy = world.login("ivy")
    searched = world.api.post("/v1/searches", headers=ivy,
                              json={**ASK, "params": {"plate": world.shared}})
    assert searched.status_code == 200, searched.text
    assert world.seed.fpd_id in {r["owner_id"] for r in searched.json()["results"]}
    response = world.export(ivy, params={"plate": world.shared})
    assert response.status_code == 200, response.text
    assert owners_in(response) == {world.seed.ucpd_id}
    assert f"{world.seed.fpd_id}:" in response.headers["x-owners-denied"]


def test_an_export_after_the_agreement_is_revoked_gets_nothing_of_the_owner(
    world: World,
) -> None:
    agreement = world.share("fpd-admin", "ucpd", actions=["export"])
    ivy = world.login("ivy")
    before = world.export(ivy, params={"plate": world.fremont_only})
    assert before.status_code == 200, before.text
    assert owners_in(before) == {world.seed.fpd_id}
    revoked = world.api.delete(f"/v1/admin/agreements/{agreement}",
                               headers=world.login("fpd-admin"))
    assert revoked.status_code == 204, revoked.text
    after = world.export(ivy, params={"plate": world.fremont_only})  # at once
    assert after.status_code == 200, after.text
    assert rows(after) == []
    assert after.headers["x-total-count"] == "0"
    assert f"agreement-{agreement}-revoked" in after.headers["x-owners-denied"]


def test_a_revocation_made_by_another_process_is_in_force_within_its_second(
    world: World,
) -> None:
    """docs: the catalog's generation is looked at at most once a second, so a change made
    outside this server (``plateledger admin``) is in force within that second."""
    agreement = world.share("fpd-admin", "ucpd", actions=["export"])
    ivy = world.login("ivy")
    assert owners_in(world.export(ivy, params={"plate": world.fremont_only})) == \
        {world.seed.fpd_id}
    world.catalog.revoke_agreement(agreement)  # as another process would
    time.sleep(1.1)
    after = world.export(ivy, params={"plate": world.fremont_only})
    assert rows(after) == [] and f"agreement-{agreement}-revoked" in \
        after.headers["x-owners-denied"]


def test_an_export_agreement_keeps_its_cap_lookback_and_image_terms(world: World) -> None:
    """Paging through up to 10,000 rows, or starting past the cap, never passes the
    agreement's result cap, lookback or image terms."""
    capped = plate("6")
    world.api.app.state.store.insert_reads(  # type: ignore[attr-defined]
        [make_read(capped, camera="fr-cam", owner=world.seed.fpd_id, minutes_ago=10 + i,
                   now=NOW, images={"plate": f"fpd/plate-{i}.jpg",
                                    "overview": f"fpd/overview-{i}.jpg"})
         for i in range(3)]
        + [make_read(capped, camera="fr-cam", owner=world.seed.fpd_id,
                     minutes_ago=3 * 24 * 60, now=NOW)]
    )
    world.share("fpd-admin", "ucpd", actions=["export"], result_cap=2, max_lookback_days=1)
    ivy = world.login("ivy")
    for kind, params in (("exact", {"plate": capped}), ("wildcard", {"plate": capped[:4] + "*"}),
                         ("fuzzy", {"plate": capped})):
        whole = world.export(ivy, kind=kind, params=params, max_rows=10_000)
        assert whole.status_code == 200, whole.text
        got = [r for r in rows(whole) if r["plate"] == capped]
        assert len(got) <= 2, (kind, got)
        assert all(r["image_plate"] == "" and r["image_overview"] == "" for r in got)
        assert all(datetime.fromisoformat(r["ts"]) > NOW - timedelta(days=2) for r in got)
        past = world.export(ivy, kind=kind, params=params | {"offset": 2}, max_rows=10_000)
        assert [r for r in rows(past) if r["plate"] == capped] == [], kind
    assert b"fpd/plate-" not in world.export(ivy, params={"plate": capped},
                                             format="ndjson").content


@pytest.mark.parametrize("username", ["audrey", "ucpd-admin", "fpd-admin"])
def test_auditors_and_admins_export_nothing(world: World, username: str) -> None:
    """They are not refused outright: every owner denies them by the role rule, and the
    file is empty (the export is still logged)."""
    headers = world.login(username)
    response = world.export(headers, params={"plate": world.shared})
    assert response.status_code == 200, response.text
    assert rows(response) == []
    assert response.headers["x-total-count"] == "0"
    for owner in (world.seed.ucpd_id, world.seed.fpd_id):
        assert f"{owner}:" in response.headers["x-owners-denied"]
    assert world.entry(int(response.headers["x-audit-index"]))["type"] == "export"


def test_no_token_a_forged_token_or_another_services_token_gets_no_file(world: World) -> None:
    body = {**ASK, "params": {"plate": world.shared}}
    for headers in ({}, {"Authorization": "Bearer nonsense"},
                    {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJpdnkifQ."}):
        response = world.api.post("/v1/exports", headers=headers, json=body)
        assert response.status_code == 401, response.text
        assert world.shared not in response.text


def test_there_is_no_export_to_fetch_again_by_its_index(world: World) -> None:
    ivy, finn = world.login("ivy"), world.login("finn")
    made = world.export(ivy, params={"plate": world.shared})
    index = made.headers["x-audit-index"]
    for path in (f"/v1/exports/{index}", f"/v1/exports/plateledger-export-{index}.csv",
                 "/v1/exports"):
        response = world.api.get(path, headers=finn)
        assert_json_4xx(response)
        assert world.shared not in response.text


# -- exports: logged before served ------------------------------------------------------


def test_an_export_is_logged_with_the_digest_of_exactly_the_file(world: World) -> None:
    ivy = world.login("ivy")
    response = world.export(ivy, params={"plate": world.shared}, format="ndjson")
    assert response.status_code == 200, response.text
    served = [json.loads(line) for line in response.text.splitlines()]
    entry = world.entry(int(response.headers["x-audit-index"]))
    assert entry["type"] == "export" and entry["user"] == "ivy"
    assert entry["query"]["plate"] == world.shared
    assert entry["returned"] == len(served) == 2
    assert entry["result_digest"] == result_digest(uuid.UUID(r["read_id"]) for r in served)
    assert {"agency": "fpd", "policy_ids": ["default-deny"]} in entry["owners_denied"]


def test_an_auditor_of_the_denying_owner_sees_who_tried_but_not_the_plate(world: World) -> None:
    ivy = world.login("ivy")
    response = world.export(ivy, params={"plate": world.shared})
    index = int(response.headers["x-audit-index"])
    fran = world.login("fran")
    seen = world.api.get("/v1/audit/entries", headers=fran,
                         params={"start": index, "limit": 1, "full": 1})
    assert seen.status_code == 200, seen.text
    assert world.shared not in seen.text and ASK["case_number"] not in seen.text
    assert ASK["reason"] not in seen.text
    public = world.api.get(f"/v1/audit/entries/{index}")
    assert world.shared not in public.text and ASK["case_number"] not in public.text


# -- exports: bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"max_rows": -1},
        {"max_rows": 0},
        {"max_rows": 10_001},
        {"max_rows": 2**64},
        {"max_rows": "all"},
        {"params": {"plate": "7ABC123", "limit": -5}},
        {"params": {"plate": "7ABC123", "offset": -1}},
        {"params": {"plate": "7ABC123", "offset": 10**12}},
        {"params": {"plate": "7ABC123", "since": "yesterday"}},
        {"params": {"plate": "7ABC123", "since": "2026-01-02T00:00:00Z",
                    "until": "2026-01-01T00:00:00Z"}},
        {"params": {"plate": "7ABC123", "cameras": "uc-cam-1"}},
        {"params": {"plate": "x" * 33}},
        {"params": {"plate": "7ABC123"}, "format": "xlsx"},
        {"params": {"plate": "7ABC123"}, "format": None},
        {"params": {"plate": "7ABC123"}, "kind": "everything"},
        {"params": {"plate": "7ABC123"}, "requested_by": "no-such-agency"},
        {"params": {"plate": "7ABC123"}, "purpose": "curiosity"},
        {"params": {"plate": "7ABC123"}, "offense_type": "DROP TABLE"},
        {"params": {"plate": "7ABC123"}, "offense_type": None},
        {"params": {"plate": "7ABC123"}, "owners": [1, 2, 3]},
        {"params": {"plate": "7ABC123"}, "kind": "locate"},
        {"params": {}},
        {"params": None},
        {"params": []},
    ],
)
def test_bad_exports_get_a_json_4xx(world: World, body: dict[str, Any]) -> None:
    ivy = world.login("ivy")
    response = world.export(ivy, **({"params": {"plate": world.shared}} | body))
    assert_json_4xx(response)
    assert world.shared not in response.text


@pytest.mark.parametrize("raw", [
    b"", b"{", b"[]", b"null", b'"export"', b"\xff\xfe",
    b'{"kind":"exact","purpose":"stolen_vehicle","offense_type":"240",'
    b'"params":{"plate":"7ABC123"},"max_rows":1e999}',
    b'{"kind":"exact","purpose":"stolen_vehicle","offense_type":"240",'
    b'"params":{"plate":"7ABC123","offset":NaN}}',
    b'{"kind":"area","purpose":"stolen_vehicle","offense_type":"240",'
    b'"params":{"bbox":{"south":NaN,"west":-1,"north":1,"east":1}}}',
])
def test_an_export_body_that_is_not_an_object_gets_a_json_4xx(world: World, raw: bytes) -> None:
    ivy = world.login("ivy")
    response = world.api.post("/v1/exports", content=raw,
                              headers={**ivy, "Content-Type": "application/json"})
    assert_json_4xx(response)


def test_the_largest_offset_allowed_gets_an_empty_file_not_an_error(world: World) -> None:
    ivy = world.login("ivy")
    response = world.export(ivy, params={"plate": world.shared, "offset": 1_000_000},
                            max_rows=10_000)
    assert response.status_code == 200, response.text
    assert rows(response) == []


# -- cases and case reports -------------------------------------------------------------


def _open(world: World, headers: dict[str, str], number: str, title: str = "") -> None:
    opened = world.api.post("/v1/cases", headers=headers, json={"number": number, "title": title})
    assert opened.status_code == 201, opened.text


def test_another_agencys_case_answers_exactly_as_a_case_that_does_not_exist(
    world: World,
) -> None:
    ivy, finn = world.login("ivy"), world.login("finn")
    _open(world, ivy, "UC-2026-0777", "grey sedan")
    world.export(ivy, params={"plate": world.shared})
    for suffix in ("", "/report?format=json", "/report?format=html", "/report?format=pdf"):
        theirs = world.api.get(f"/v1/cases/UC-2026-0777{suffix}", headers=finn)
        missing = world.api.get(f"/v1/cases/UC-2026-0778{suffix}", headers=finn)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json()["error"]["code"] == missing.json()["error"]["code"]
        assert theirs.json()["error"]["message"].replace("0777", "0778") == \
            missing.json()["error"]["message"]
        assert world.shared not in theirs.text and "grey sedan" not in theirs.text
    refused = world.api.patch("/v1/cases/UC-2026-0777", headers=finn, json={"status": "closed"})
    assert refused.status_code == 404
    assert world.api.get("/v1/cases", headers=finn).json() == []


def test_the_same_case_number_in_another_agency_shows_none_of_our_searches(
    world: World,
) -> None:
    ivy, finn = world.login("ivy"), world.login("finn")
    _open(world, ivy, "UC-2026-0777")
    _open(world, finn, "UC-2026-0777")  # Fremont opens a case under our number
    ours = world.export(ivy, params={"plate": world.shared})
    assert ours.status_code == 200
    # finn also runs exports naming our number, and one "for" Union City
    world.export(finn, params={"plate": world.fremont_only})
    world.export(finn, params={"plate": world.fremont_only}, requested_by="ucpd")
    theirs = world.api.get("/v1/cases/UC-2026-0777/report?format=json", headers=finn)
    assert theirs.status_code == 200, theirs.text
    assert world.shared not in theirs.text
    assert ours.headers["x-audit-index"] not in [
        str(s["audit_index"]) for s in theirs.json()["searches"]]
    mine = world.api.get("/v1/cases/UC-2026-0777/report?format=json", headers=ivy).json()
    assert [s["user"] for s in mine["searches"]] == ["ivy"]
    assert world.fremont_only not in json.dumps(mine)


def test_a_user_acting_for_the_case_agency_cannot_read_its_case(world: World) -> None:
    ivy = world.login("ivy")
    _open(world, ivy, "UC-2026-0777", "grey sedan")
    world.export(ivy, params={"plate": world.shared})
    world.catalog.set_acting_for("finn", world.seed.ucpd_id)
    finn = world.login("finn")
    for suffix in ("", "/report?format=json"):
        response = world.api.get(f"/v1/cases/UC-2026-0777{suffix}", headers=finn)
        assert response.status_code == 404, response.text
        assert world.shared not in response.text


@pytest.mark.parametrize("username", ["audrey", "ucpd-admin", "fran"])
def test_auditors_and_admins_get_no_case_report(world: World, username: str) -> None:
    ivy = world.login("ivy")
    _open(world, ivy, "UC-2026-0777", "grey sedan")
    world.export(ivy, params={"plate": world.shared})
    headers = world.login(username)
    for path in ("/v1/cases/UC-2026-0777/report?format=json", "/v1/cases/UC-2026-0777",
                 "/v1/cases"):
        response = world.api.get(path, headers=headers)
        assert response.status_code in (403, 404), response.text
        assert world.shared not in response.text and "grey sedan" not in response.text


def test_a_case_report_lists_counts_and_digests_never_the_reads(world: World) -> None:
    ivy = world.login("ivy")
    _open(world, ivy, "UC-2026-0777")
    exported = world.export(ivy, params={"plate": world.shared}, format="ndjson")
    read_ids = [json.loads(line)["read_id"] for line in exported.text.splitlines()]
    assert len(read_ids) == 2
    for fmt in ("json", "html", "pdf"):
        report = world.api.get(f"/v1/cases/UC-2026-0777/report?format={fmt}", headers=ivy)
        assert report.status_code == 200, report.text
        for read_id in read_ids:
            assert read_id.encode() not in report.content
        assert b"uc-cam-0" not in report.content and b"fr-cam" not in report.content


def test_a_case_report_is_logged_before_it_is_served(world: World) -> None:
    sam = world.login("sam")
    _open(world, sam, "UC-2026-0777")
    exported = world.export(sam, params={"plate": world.shared})
    report = world.api.get("/v1/cases/UC-2026-0777/report?format=json", headers=sam)
    assert report.status_code == 200, report.text
    index = int(report.headers["x-audit-index"])
    entry = world.entry(index)
    assert entry["type"] == "case_report" and entry["user"] == "sam"
    assert entry["indexes"] == [int(exported.headers["x-audit-index"])]
    assert report.json()["proofs"][-1]["index"] == index
    public = world.api.get(f"/v1/audit/entries/{index}")
    assert "UC-2026-0777" not in public.text


def test_no_audit_log_means_no_case_report(world: World) -> None:
    """Was a hole: (low: failed closed, but not as documented) with the audit log
    unreadable, a case or its report answered 500 ``internal_error`` instead of
    docs/cases.md's "no entry, no answer: 503" (``fail_closed``): `Cases.searches` read the
    log before the guarded append, and its database error was not an `AuditUnavailable`.
    Nothing of the case is served either way."""
    from sqlalchemy import text

    ivy = world.login("ivy")
    _open(world, ivy, "UC-2026-0777", "grey sedan")
    engine = world.catalog.engine
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_entries"))
    quiet = TestClient(world.api.app, raise_server_exceptions=False)
    for path in ("/v1/cases/UC-2026-0777/report?format=json", "/v1/cases/UC-2026-0777"):
        response = quiet.get(path, headers=ivy)
        assert "grey sedan" not in response.text and "Traceback" not in response.text
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "fail_closed"


def test_a_case_title_cannot_script_the_report(world: World) -> None:
    ivy = world.login("ivy")
    _open(world, ivy, "UC-2026-0777", "<script>alert(1)</script></title><img src=x>")
    report = world.api.get("/v1/cases/UC-2026-0777/report?format=html", headers=ivy)
    assert report.status_code == 200
    assert "<script>alert" not in report.text and "<img src=x>" not in report.text
    assert "default-src 'none'" in report.headers["content-security-policy"]


@pytest.mark.parametrize("number", ["%", "_", "UC-%", '"', "\\"])
def test_a_case_number_of_wildcards_does_not_gather_other_cases(
    world: World, number: str
) -> None:
    ivy = world.login("ivy")
    world.export(ivy, params={"plate": world.shared})  # under UC-2026-0777
    opened = world.api.post("/v1/cases", headers=ivy, json={"number": number})
    if opened.status_code != 201:
        assert_json_4xx(opened)
        return
    path = "/v1/cases/" + number.replace("%", "%25").replace("\\", "%5C").replace('"', "%22")
    shown = world.api.get(path, headers=ivy)
    assert shown.status_code == 200, shown.text
    assert shown.json()["searches"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/v1/cases/UC-2026-0777/report?format=docx",
        "/v1/cases/UC-2026-0777/report?format=",
        "/v1/cases/" + "9" * 65,
        "/v1/cases/" + "9" * 65 + "/report",
        "/v1/cases/%00",
        "/v1/cases/..%2F..%2Faudit%2Fentries",
        "/v1/cases?status=everything",
    ],
)
def test_bad_case_requests_get_a_json_4xx(world: World, path: str) -> None:
    ivy = world.login("ivy")
    _open(world, ivy, "UC-2026-0777", "grey sedan")
    response = world.api.get(path, headers=ivy)
    assert_json_4xx(response)
    assert "grey sedan" not in response.text


@pytest.mark.parametrize(
    "body",
    [{"number": ""}, {"number": "a/b"}, {"number": "x" * 65}, {"number": "a\nb"},
     {"number": "ok", "agency": "fpd"}, {"number": 7}, {"number": "ok", "title": "t" * 201}],
)
def test_bad_case_openings_get_a_json_4xx(world: World, body: dict[str, Any]) -> None:
    ivy = world.login("ivy")
    assert_json_4xx(world.api.post("/v1/cases", headers=ivy, json=body))


# -- statutory reports (public) ---------------------------------------------------------


def _report_code(world: World) -> str:
    listing = world.api.get("/v1/reports")
    assert listing.status_code == 200, listing.text
    return str(listing.json()["reports"][0]["code"])


@pytest.mark.parametrize(
    "query",
    [
        {"agency": "ucpd", "start": "2026-01-02", "end": "2026-01-01"},
        {"agency": "ucpd", "start": "2026-01-01"},
        {"agency": "ucpd", "start": "not-a-date", "end": "2026-01-01"},
        {"agency": "ucpd", "start": "2026-02-30", "end": "2026-03-01"},
        {"agency": "ucpd", "format": "docx"},
        {"agency": "no-such-agency"},
        {"agency": ""},
        {"agency": "x" * 65},
    ],
)
def test_bad_statutory_report_requests_get_a_json_4xx(
    world: World, query: dict[str, str]
) -> None:
    assert_json_4xx(world.api.get(f"/v1/reports/{_report_code(world)}", params=query))


def test_an_unknown_statutory_report_gets_a_json_404(world: World) -> None:
    response = world.api.get("/v1/reports/" + "x" * 32, params={"agency": "ucpd"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_report"
    assert_json_4xx(world.api.get("/v1/reports/" + "x" * 33, params={"agency": "ucpd"}))


@pytest.mark.parametrize(
    "period",
    [("2026-01-01", "9999-12-31"), ("0001-01-01", "2026-01-01")],
)
def test_a_statutory_report_over_an_absurd_period_gets_a_json_4xx(
    world: World, period: tuple[str, str]
) -> None:
    """Was a hole: (low: availability, no data) the public, unauthenticated ``GET
    /v1/reports/{code}`` took any two dates: ``end=9999-12-31`` overflowed ``end + 1 day``
    (500 ``internal_error`` with a logged traceback), and a start before the store's range
    (before 1900) answered 503 ``store_unavailable``, a bad request reported as an outage.
    A report covers days from 1900-01-01 to a year from today."""
    quiet = TestClient(world.api.app, raise_server_exceptions=False)
    start, end = period
    response = quiet.get(f"/v1/reports/{_report_code(world)}",
                         params={"agency": "ucpd", "start": start, "end": end})
    assert_json_4xx(response)


def test_a_statutory_report_names_no_plate_case_or_user(world: World) -> None:
    ivy = world.login("ivy")
    _open(world, ivy, "UC-2026-0777", "grey sedan")
    world.export(ivy, params={"plate": world.shared})
    world.api.get("/v1/cases/UC-2026-0777/report?format=json", headers=ivy)
    listing = world.api.get("/v1/reports").json()
    today = datetime.now(UTC).date().isoformat()
    for kind in listing["reports"]:
        for agency in ("ucpd", "fpd"):
            for fmt in ("json", "csv", "html"):
                response = world.api.get(
                    f"/v1/reports/{kind['code']}",
                    params={"agency": agency, "start": "2025-01-01", "end": today,
                            "format": fmt})
                assert response.status_code in (200, 404), response.text
                for secret in (world.shared, "UC-2026-0777", "grey sedan", "ivy",
                               ASK["reason"]):
                    assert secret not in response.text, (kind["code"], agency, fmt, secret)
