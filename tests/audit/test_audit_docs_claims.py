"""Claims of docs/audit.md that no other test held, each checked against the real code:
the public audit endpoints over a real log (the router alone, as
`tests/audit/test_http_api.py` mounts it), the audit export over the real app, and the
rotation of the log's key."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from plateledger.api.app import create_app
from plateledger.api.errors import install_error_handlers
from plateledger.api.routes.audit import router
from plateledger.audit import AuditLog, NoteSigner, verify_consistency, verify_inclusion
from plateledger.audit.entry import search_entry
from plateledger.audit.note import NoteVerifier
from plateledger.settings import Settings
from tests.api.conftest import (  # noqa: F401  (fixtures used by name)
    Seed,
    code,
    login,
    refuse_entries,
    seed,
    settings,
)
from tests.audit.conftest import search
from tests.factories import unique_plate

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning

    # starlette 1.x warns at import that it prefers `httpx2`; plain httpx still works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def public(log: AuditLog) -> Iterator[TestClient]:
    """The public audit endpoints over ``log``."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.state.audit_log = log
    with TestClient(app) as test_client:
        yield test_client


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def test_proofs_default_to_the_current_size(public: TestClient, log: AuditLog) -> None:
    """`/proof/inclusion?index=&size=`: "`size` defaults to the current size";
    `/proof/consistency?from=&to=`: "`to` defaults to the current size"."""
    log.append_many([search(n) for n in range(11)])
    inclusion = public.get("/v1/audit/proof/inclusion", params={"index": 4})
    assert inclusion.status_code == 200, inclusion.text
    body = inclusion.json()
    assert (body["index"], body["size"]) == (4, 11)
    assert b64(body["root_hash"]) == log.root_hash(11)
    verify_inclusion(4, 11, b64(body["leaf_hash"]), [b64(h) for h in body["proof"]],
                     log.root_hash(11))
    consistency = public.get("/v1/audit/proof/consistency", params={"from": 5})
    assert consistency.status_code == 200, consistency.text
    proof = consistency.json()
    assert (proof["from"], proof["to"]) == (5, 11)
    verify_consistency(5, 11, [b64(h) for h in proof["proof"]], log.root_hash(5),
                       log.root_hash(11))


def test_a_page_of_entries_holds_at_most_1000(public: TestClient, log: AuditLog) -> None:
    """`/v1/audit/entries?start=&limit=`: "`limit` ≤ 1000"."""
    log.append_many([search(n) for n in range(3)])
    assert public.get("/v1/audit/entries", params={"limit": 1000}).status_code == 200
    refused = public.get("/v1/audit/entries", params={"limit": 1001})
    assert refused.status_code in (400, 422)
    assert "limit" in refused.text


def test_counts_cover_the_latest_1000_entries_by_default(
    public: TestClient, log: AuditLog,
) -> None:
    """`/v1/audit/counts?window=`: "over the public summaries of the latest `window`
    entries (default 1000)"."""
    log.append_many([search(n, purpose="stolen_vehicle") for n in range(3)])
    log.append_many([search(n, purpose="missing_person") for n in range(1000)])
    counts = public.get("/v1/audit/counts").json()
    assert counts["by_type"] == {"search": 1000}
    assert set(counts["searches_by_purpose"]) == {"missing_person"}
    window = public.get("/v1/audit/counts", params={"window": 1003}).json()
    assert window["searches_by_purpose"]["stolen_vehicle"]["searches"] == 3
    assert window["by_type"] == {"search": 1003}


def test_public_counts_of_searches_leave_later_pages_out(
    public: TestClient, log: AuditLog,
) -> None:
    """"its public summary only `later_page: true` (never which search), and public
    counts of searches leave it out"."""
    first = search(1, query={"plate": "7ABC001", "search_id": "a" * 32})
    log.append(first)
    log.append(search(1, page_of="a" * 32))
    summaries = public.get("/v1/audit/entries").json()["entries"]
    assert summaries[1]["summary"]["later_page"] is True
    counts = public.get("/v1/audit/counts").json()
    assert counts["searches_by_purpose"]["stolen_vehicle"]["searches"] == 1


def test_a_key_rotation_carries_the_old_keys_signature_over_the_new_one(
    log: AuditLog, signer: NoteSigner, data_dir: Path,
) -> None:
    """"`AuditLog.rotate_key(data_dir)` … makes a new key and logs a `log_key_rotation`
    entry naming both verifier keys with the old key's signature over the new one; the
    old file is kept as `audit-log.key.<key id>.retired`"."""
    log.append_many([search(n) for n in range(2)])
    old_key = signer.verifier_key()
    new = log.rotate_key(data_dir)
    rotation = log.entry(log.size() - 1).entry
    assert rotation["type"] == "log_key_rotation"
    assert (rotation["old_key"], rotation["new_key"]) == (old_key, new.verifier_key())
    endorsement = b64(rotation["old_key_signature"])
    assert NoteVerifier.parse(old_key).verify(new.verifier_key().encode(), endorsement)
    assert not NoteVerifier.parse(new.verifier_key()).verify(
        new.verifier_key().encode(), endorsement)
    keys = data_dir / "keys"
    retired = keys / f"audit-log.key.{signer.key_id.hex()}.retired"
    assert retired.read_text() == signer.private_key_text() + "\n"
    assert (keys / "audit-log.pub").read_text().strip() == new.verifier_key()


def _ucpd_search(n: int, plate: str) -> dict[str, Any]:
    return search_entry(
        user="ivy", agency="ucpd", requested_by_agency="ucpd", purpose="stolen_vehicle",
        case_number=f"UC-DOCS-{n}", kind="exact", query={"plate": plate},
        owners_allowed=["ucpd"], owners_denied=[], result_count=0,
        result_digest="0" * 64, policy_set_hash="1" * 64,
    )


@pytest.fixture
def audit_app(settings: Settings, seed: Seed) -> Iterator[TestClient]:  # noqa: F811
    """The real app over the seeded catalog of `tests/api/conftest.py`."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_json_page_of_the_export_keeps_to_start_and_end(
    audit_app: TestClient, seed: Seed,  # noqa: F811
) -> None:
    """"Filters …: … and `start`/`end` (log indexes). `format=json` answers
    `{total, offset, limit, columns, rows}`: the rows passing the filters"."""
    log: AuditLog = audit_app.app.state.audit_log  # type: ignore[attr-defined]
    plate = unique_plate()
    first, *_ = log.append_many([_ucpd_search(n, plate) for n in range(3)])
    headers = login(audit_app, "audrey", code(seed.auditor_totp))
    window = {"start": first + 1, "end": first + 2}
    rows = audit_app.get("/v1/audit/export", params={"format": "ndjson", **window},
                         headers=headers)
    assert rows.status_code == 200, rows.text
    assert rows.headers["X-Exported-Count"] == "1"
    page = audit_app.get("/v1/audit/export", params={"format": "json", **window},
                         headers=headers)
    assert page.status_code == 200, page.text
    body = page.json()
    assert [row["Leaf Index"] for row in body["rows"]] == [str(first + 1)]
    assert body["total"] == 1


def test_a_full_reading_that_cannot_be_logged_serves_nothing(
    audit_app: TestClient, seed: Seed,  # noqa: F811
) -> None:
    """"Each `full=1` reading that serves more than the public summary is first logged as
    an `audit_read` entry …; if that entry cannot be written, nothing is served (503)"."""
    log: AuditLog = audit_app.app.state.audit_log  # type: ignore[attr-defined]
    plate = unique_plate()
    index = log.append(_ucpd_search(7, plate))
    headers = login(audit_app, "audrey", code(seed.auditor_totp))
    served = audit_app.get(f"/v1/audit/entries/{index}", params={"full": 1},
                           headers=headers)
    assert served.status_code == 200 and served.json()["view"] == "full"
    reading = log.entry(log.size() - 1).entry
    assert (reading["type"], reading["user"], reading["agency"]) == (
        "audit_read", "audrey", "ucpd")
    assert (reading["indexes"], reading["views"]) == ([index], ["full"])
    refuse_entries(log.engine)
    size = log.size()
    for path in (f"/v1/audit/entries/{index}", "/v1/audit/entries"):
        refused = audit_app.get(path, params={"full": 1, "start": index}, headers=headers)
        assert refused.status_code == 503, refused.text
        assert plate not in refused.text and "UC-DOCS-7" not in refused.text
    assert log.size() == size


def test_the_export_keeps_entries_logged_since_and_before_until(
    audit_app: TestClient, seed: Seed,  # noqa: F811
) -> None:
    """"`since` and `until` (when the entry was logged, `until` excluded)"; an entry's
    `time` is "set by the log unless given"."""
    log: AuditLog = audit_app.app.state.audit_log  # type: ignore[attr-defined]
    plate = unique_plate()
    times = ["2026-02-01T10:00:00.000Z", "2026-02-02T10:00:00.000Z",
             "2026-02-03T10:00:00.000Z"]
    indexes = log.append_many([{**_ucpd_search(n, plate), "time": when}
                               for n, when in enumerate(times)])
    assert [log.entry(i).entry["time"] for i in indexes] == times
    headers = login(audit_app, "audrey", code(seed.auditor_totp))
    page = audit_app.get("/v1/audit/export", headers=headers, params={
        "format": "json", "since": "2026-02-02T10:00:00Z", "until": "2026-02-03T10:00:00Z"})
    assert page.status_code == 200, page.text
    assert [row["Leaf Index"] for row in page.json()["rows"]] == [str(indexes[1])]
