"""What a node takes from others is bounded by what its audit log can write, and what it
verifies is its own name.

- a partner's answer with an entry index, total or count outside 0 … 2**53 - 1 (the
  largest integer RFC 8785 writes exactly) is a ``bad_answer``, and a page's total, the
  nodes' totals added, stays within it;
- a signed hit or pushed list carries no id or index past it either (422);
- a witness reads an ``old`` size as ASCII digits without leading zeros only;
- a node's own authority comes from its public URL, or the address it is served at.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine

from plateledger.access.federated import Partner, _merge_one
from plateledger.access.federated_pages import MAX_COUNT, NodePage, merge_pages
from plateledger.access.searches import SearchCreate, SearchResponse
from plateledger.access.shared_hotlists import SharedHit, SharedListPush
from plateledger.audit import AuditLog, NoteSigner
from plateledger.audit.witness import WitnessRefusal, WitnessService
from plateledger.federation import NodeAnswer
from plateledger.federation.signatures import url_authority
from plateledger.federation.witnessing import witness_cosigner
from plateledger.settings import Settings
from tests.audit.conftest import search as search_entry

PARTNER = Partner(name="unioncity", url="http://127.0.0.1:9", key_id="k", agencies={"ucpd": 4})


def answer(search_id: str, **changes: Any) -> dict[str, Any]:
    owner = {"agency": "ucpd", "owner_id": 1, "allowed": True, "returned": 0}
    return {
        "search_id": search_id,
        "kind": "exact",
        "audit_index": 7,
        "total": 0,
        "results": [],
        "owners": [owner | changes.pop("owner", {})],
    } | changes


@pytest.mark.parametrize(
    "changes",
    [
        {"audit_index": MAX_COUNT + 1},
        {"audit_index": -1},
        {"total": MAX_COUNT + 1},
        {"total": 2**64},
        {"owner": {"owner_id": MAX_COUNT + 1}},
        {"owner": {"returned": -1}},
    ],
)
def test_an_answer_out_of_the_logs_range_is_a_bad_answer(changes: dict[str, Any]) -> None:
    search_id = str(uuid.uuid4())
    body = answer(search_id, **changes)
    asked = _merge_one(PARTNER, search_id, NodeAnswer("answered", 200, body))
    assert asked.record["code"] == "bad_answer"
    assert asked.record["audit_index"] is None
    assert [(o.status, o.code) for o in asked.owners] == [("unavailable", "bad_answer")]


def test_an_answer_at_the_largest_index_and_total_is_taken() -> None:
    search_id = str(uuid.uuid4())
    body = answer(search_id, audit_index=MAX_COUNT, total=MAX_COUNT)
    asked = _merge_one(PARTNER, search_id, NodeAnswer("answered", 200, body))
    assert asked.record["outcome"] == "answered" and asked.record["audit_index"] == MAX_COUNT
    assert asked.page.total == MAX_COUNT


def test_the_nodes_totals_added_stay_within_what_the_log_writes() -> None:
    body = SearchCreate(kind="exact", params={"plate": "7ABC123"}, offense_type="240")
    local = SearchResponse(kind="exact", owners=[], total=3, results=[], limit=50, offset=0)
    pages = [NodePage(total=MAX_COUNT), NodePage(total=MAX_COUNT)]
    assert merge_pages(body, local, pages)["total"] == MAX_COUNT
    assert merge_pages(body, local, [NodePage(total=4)])["total"] == 7


@pytest.fixture
def witness(tmp_path: Path) -> tuple[WitnessService, AuditLog]:
    signer = NoteSigner.generate("partner.example/audit")
    engine = create_engine(f"sqlite:///{tmp_path / 'log.sqlite'}")
    log = AuditLog(engine, signer=signer)
    log.create_tables()
    log.append_many([search_entry(n) for n in range(3)])
    service = WitnessService(
        tmp_path / "witness",
        witness_cosigner(tmp_path / "witness", "here.example/audit"),
        log_keys_of=lambda origin: [signer.verifier_key()],
    )
    return service, log


def _status(service: WitnessService, request: str) -> int:
    try:
        service.add_checkpoint(request)
    except WitnessRefusal as refusal:
        return refusal.status
    return 200


@pytest.mark.parametrize(
    "old", ["\u00b2", "1\u00b2", "\u0663", "\uff11", "01", "-1", "+1", " 1", "1" * 21, ""]
)
def test_an_old_size_that_is_not_ascii_digits_is_a_400(
    witness: tuple[WitnessService, AuditLog], old: str
) -> None:
    service, log = witness
    assert _status(service, f"old {old}\n\n{log.checkpoint()}") == 400


def test_an_old_size_in_ascii_digits_is_read(witness: tuple[WitnessService, AuditLog]) -> None:
    service, log = witness
    assert _status(service, f"old 2\n\n{log.checkpoint()}") == 409  # none held: 0
    assert _status(service, f"old 0\n\n{log.checkpoint()}") == 200


def test_a_nodes_authority_is_its_public_url_or_where_it_is_served() -> None:
    assert url_authority(Settings().node_url) == "127.0.0.1:8080"
    assert url_authority(Settings(host="alpr.local", port=8443).node_url) == "alpr.local:8443"
    assert url_authority(Settings(host="::1", port=9000).node_url) == "::1:9000"
    public = Settings(public_url="https://ALPR.UnionCity.example", port=9000)
    assert url_authority(public.node_url) == "alpr.unioncity.example"
    assert url_authority(Settings(public_url="http://uc.example:8081").node_url) == (
        "uc.example:8081"
    )


@pytest.mark.parametrize(
    "url", ["ftp://uc.example", "uc.example", "https://", "https://me@uc.example",
            "https://uc.example:port"],
)
def test_a_public_url_must_name_an_http_host(url: str) -> None:
    with pytest.raises(ValidationError):
        Settings(public_url=url)


def hit(**changes: Any) -> dict[str, Any]:
    return {
        "hit_id": str(uuid.uuid4()),
        "list_id": 3,
        "entry_id": 1,
        "agency": "ucpd",
        "read_owner": "fpd",
        "created_at": "2026-01-01T00:00:00+00:00",
        "category": "stolen_vehicle",
        "match_kind": "exact",
        "plate_listed": "7XYZ123",
        "read": {
            "read_id": str(uuid.uuid4()),
            "camera_id": "fr-9",
            "ts": "2026-01-01T00:00:00+00:00",
            "plate": "7XYZ123",
        },
        "audit_index": 3,
    } | changes


@pytest.mark.parametrize("field", ["list_id", "entry_id", "audit_index"])
def test_a_shared_hit_carries_only_ids_the_log_can_write(field: str) -> None:
    SharedHit.model_validate(hit(**{field: MAX_COUNT}))
    with pytest.raises(ValidationError):
        SharedHit.model_validate(hit(**{field: MAX_COUNT + 1}))


def test_a_pushed_list_carries_only_ids_the_log_can_write() -> None:
    push = {"list_id": 4, "agency": "fpd", "change": "share", "version": 1, "name": "l",
            "category": "stolen_vehicle", "entries": [{"id": 1, "plate": "7XYZ123"}]}  # fmt: skip
    SharedListPush.model_validate(push)
    for changed in ({"list_id": 2**64}, {"version": MAX_COUNT + 1},
                    {"entries": [{"id": 2**64, "plate": "7XYZ123"}]}):  # fmt: skip
        with pytest.raises(ValidationError):
            SharedListPush.model_validate(push | changed)
