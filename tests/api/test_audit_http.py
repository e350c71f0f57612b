"""The audit log's entries over HTTP: public summaries for anyone, whole entries only for
auditors and supervisors, and that reading logged before anything is served."""

from __future__ import annotations

import json
from typing import Any

import httpx

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
              "case_number": "UC-2026-0077", "reason": "stolen grey sedan"},
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
