"""The audit log's entries over HTTP: public summaries for anyone; for auditors and
supervisors, what their agency's part in each entry earns (whole, denied owner's view, or
nothing more); that reading logged before anything is served."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from plateledger.audit import AuditLog, new_entry
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.conftest import LiveServer


def entries(server: LiveServer, user: str | None = None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {server.token(user)}"} if user else {}
    return httpx.get(f"{server.url}/v1/audit/entries", params=params, headers=headers,
                     timeout=30)


def a_search(server: LiveServer) -> int:
    response = httpx.post(
        f"{server.url}/v1/searches", timeout=60,
        headers={"Authorization": f"Bearer {server.token('ucpd.investigator')}"},
        json={"kind": "exact", "params": {"plate": "4AUD1T5"}, "purpose": "stolen_vehicle",
              "offense_type": "240", "case_number": "UC-2026-0077", "reason": "stolen grey sedan"},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["audit_index"])


def test_the_public_sees_summaries_without_plates_or_names(live_server: LiveServer) -> None:
    index = a_search(live_server)
    page = entries(live_server, start=index, limit=1).json()
    item = page["entries"][0]
    assert "entry" not in item
    assert item["summary"]["type"] == "search"
    assert "4AUD1T5" not in json.dumps(page) and "ucpd.investigator" not in json.dumps(page)


def test_full_entries_need_an_auditor_or_supervisor(live_server: LiveServer) -> None:
    index = a_search(live_server)
    anonymous = entries(live_server, start=index, limit=1, full=1)
    assert anonymous.status_code == 401
    investigator = entries(live_server, "ucpd.investigator", start=index, limit=1, full=1)
    assert investigator.status_code == 403
    assert "auditors" in investigator.json()["error"]["message"]


def test_an_auditor_reads_the_whole_entry_and_the_reading_is_logged(
    live_server: LiveServer,
) -> None:
    index = a_search(live_server)
    page = entries(live_server, "ucpd.auditor", start=index, limit=1, full=1).json()
    entry = page["entries"][0]["entry"]
    assert entry["user"] == "ucpd.investigator"
    assert entry["query"]["plate"] == "4AUD1T5"
    assert entry["case_number"] == "UC-2026-0077"
    size = page["size"]
    after = entries(live_server, start=size, limit=5).json()["entries"]
    reads = [e for e in after if e["summary"]["type"] == "audit_read"]
    assert reads, "reading whole entries left no audit_read entry"
    whole = entries(live_server, "ucpd.auditor", start=reads[0]["index"], limit=1,
                    full=1).json()["entries"][0]["entry"]
    assert whole["user"] == "ucpd.auditor" and whole["indexes"] == [index]


# --- who sees what (DESIGN.md rule 7), tested as the attacker -------------------------

PLATE, CASE, REASON = "7ATK123", "UC-SECRET-4411", "tailing the grey sedan of a witness"
SECRETS = (PLATE, CASE, REASON)  # who tried is not secret from the owner that denied


@pytest.fixture(scope="module")
def federal_auditor(live_server: LiveServer) -> str:
    """An auditor at the federal unit: every search asks the federal unit as an owner."""
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


def secret_search(server: LiveServer) -> int:
    response = httpx.post(
        f"{server.url}/v1/searches", timeout=60,
        headers={"Authorization": f"Bearer {server.token('ucpd.investigator')}"},
        json={"kind": "exact", "params": {"plate": PLATE}, "purpose": "stolen_vehicle",
              "offense_type": "240", "case_number": CASE, "reason": REASON},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["audit_index"])


def test_a_federal_auditor_reads_no_byte_of_a_california_officers_search(
    live_server: LiveServer, federal_auditor: str,
) -> None:
    index = secret_search(live_server)
    token = {"Authorization": f"Bearer {live_server.token(federal_auditor)}"}
    bodies = [
        httpx.get(f"{live_server.url}{path}", params=params, headers=token, timeout=30)
        for path, params in [
            ("/v1/audit/entries", {"start": index, "limit": 1, "full": 1}),
            ("/v1/audit/entries", {"start": max(0, index - 50), "limit": 100, "full": 1}),
            ("/v1/audit/entries", {"start": index, "limit": 1}),
            (f"/v1/audit/entries/{index}", {"full": 1}),
            (f"/v1/audit/entries/{index}", {}),
            ("/v1/audit/counts", {}),
            ("/audit", {}),
            ("/transparency", {}),
        ]
    ]
    assert [b.status_code for b in bodies] == [200] * len(bodies)
    for body in bodies:
        for secret in SECRETS:
            assert secret not in body.text, f"{body.request.url} leaks `{secret}`"


def test_the_federal_unit_is_not_served_a_california_officer_s_search(
    live_server: LiveServer, federal_auditor: str,
) -> None:
    """Every search asks every owner, the federal unit too; it denied Union City's search
    by default (no agreement either way), so it is served what anyone is: not which
    officer searched, nor the rule, nor the plate."""
    index = secret_search(live_server)
    item = entries(live_server, federal_auditor, start=index, limit=1,
                   full=1).json()["entries"][0]
    assert item["view"] == "public"
    assert "entry" not in item
    assert "ucpd.investigator" not in json.dumps(item)
    for secret in SECRETS:
        assert secret not in json.dumps(item)
    one = httpx.get(f"{live_server.url}/v1/audit/entries/{index}", params={"full": 1},
                    headers={"Authorization": f"Bearer {live_server.token(federal_auditor)}"},
                    timeout=30).json()
    assert one["view"] == "public" and "ucpd.investigator" not in json.dumps(one)


def test_an_owner_allowed_but_whose_reads_were_not_returned_reads_the_summary_only(
    live_server: LiveServer,
) -> None:
    # Fremont's agreement allowed the search, but no read of Fremont's came back (the
    # server holds none): being allowed is not having released data (tests/audit cover
    # the owner view of an owner whose reads were returned).
    index = secret_search(live_server)
    item = entries(live_server, "fpd.auditor", start=index, limit=1,
                   full=1).json()["entries"][0]
    assert item["view"] == "public" and "entry" not in item
    assert CASE not in json.dumps(item)


def test_the_public_summary_splits_released_from_denied(live_server: LiveServer) -> None:
    index = secret_search(live_server)
    summary = entries(live_server, start=index, limit=1).json()["entries"][0]["summary"]
    assert "ice-ero-sf" in summary["denied"] and "ice-ero-sf" not in summary["released"]
    assert "ice-ero-sf" not in summary["agencies"]
    assert {"ucpd", "fpd"} <= set(summary["released"])
    counts = httpx.get(f"{live_server.url}/v1/audit/counts", timeout=30).json()
    assert counts["denied_by_owner"]["ice-ero-sf"] >= 1


def test_a_withheld_hot_list_hit_is_counted_per_owner_and_list_class(
    live_server: LiveServer,
) -> None:
    before = httpx.get(f"{live_server.url}/v1/audit/counts", timeout=30).json()
    catalog = open_catalog(Settings(data_dir=live_server.data_dir, require_totp=False))
    try:
        log = AuditLog(catalog.engine, signer=None)
        for _ in range(2):
            log.append(new_entry("alert_withheld", read_owner="ucpd", list_owner="ice-ero-sf",
                                 list_class="immigration", policy_ids=["ca.sb54"]))
    finally:
        catalog.close()
    after = httpx.get(f"{live_server.url}/v1/audit/counts", timeout=30).json()
    was = before["withheld_hits_by_owner"].get("ucpd", 0)
    assert after["withheld_hits_by_owner"]["ucpd"] == was + 2
    assert {"read_owner": "ucpd", "list_class": "immigration",
            "count": was + 2} in after["withheld_hits"]
    assert "ice-ero-sf" not in json.dumps(after["withheld_hits"])  # never whose list
