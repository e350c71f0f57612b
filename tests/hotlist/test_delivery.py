"""Delivery through the policy gate: allowed hits stored and audited, denied ones counted."""

from __future__ import annotations

import asyncio

from plateledger.audit import AuditLog
from plateledger.hotlist import (
    Alert,
    AlertStream,
    HitService,
    HitStore,
    HotlistStore,
)
from tests.factories import make_read
from tests.hotlist.conftest import ICE, OAKLAND, RENO, SAN_JOSE, StateLawGate


def test_a_hit_on_own_reads_is_stored_audited_and_counted(
    service: HitService, hotlists: HotlistStore, hits: HitStore, audit: AuditLog
) -> None:
    row = {"plate": "7ABC123", "reason": "stolen", "case_number": "24-1"}
    hotlists.import_list(OAKLAND, "stolen", "local", "stolen_vehicle", [row])
    report = service.process([make_read("7ABC123", owner=OAKLAND), make_read("1NOHIT1")])
    assert (report.candidates, report.delivered, report.denied) == (1, 1, 0)
    stored = hits.list_hits(OAKLAND)
    assert [(h.read.plate, h.case_number, h.match_kind) for h in stored] == [
        ("7ABC123", "24-1", "exact")
    ]
    entry = audit.entry(stored[0].audit_index or 0).entry
    assert entry["type"] == "alert_delivery"
    assert entry["hit_id"] == stored[0].hit_id
    assert entry["policy_ids"] == ["own_data"]
    assert report.hit_read_ids == {stored[0].read.read_id}


def test_an_immigration_list_never_matches_california_reads(
    service: HitService, hotlists: HotlistStore, hits: HitStore, audit: AuditLog
) -> None:
    hotlists.import_list(ICE, "ero", "NCIC IVF", "immigration_violator", [{"plate": "7ABC123"}])
    before = audit.size()
    report = service.process([make_read("7ABC123", owner=OAKLAND, state="CA")])
    assert (report.candidates, report.delivered, report.denied) == (1, 0, 1)
    assert hits.list_hits(ICE) == []
    assert audit.size() == before  # nothing delivered, nothing of the read logged as sent
    [denial] = hits.denials(ICE)
    assert (denial.read_owner_id, denial.category, denial.count) == (
        OAKLAND, "immigration_violator", 1
    )
    assert denial.policy_ids == ("ca.no_immigration_enforcement",)


def test_a_hit_crosses_agencies_only_under_an_agreement(
    service: HitService, hotlists: HotlistStore, hits: HitStore
) -> None:
    hotlists.import_list(SAN_JOSE, "sj", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    hotlists.import_list(RENO, "reno", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    report = service.process([make_read("7ABC123", owner=OAKLAND)])
    assert (report.delivered, report.denied) == (1, 1)
    assert len(hits.list_hits(SAN_JOSE)) == 1
    assert hits.list_hits(RENO) == []


def test_the_gate_is_asked_once_per_owner_pair_and_category(
    service: HitService, hotlists: HotlistStore, gate: StateLawGate
) -> None:
    hotlists.import_list(SAN_JOSE, "sj", "local", "stolen_vehicle",
                         [{"plate": f"7ABC12{i}"} for i in range(10)])  # fmt: skip
    service.process([make_read(f"7ABC12{i}", owner=OAKLAND) for i in range(10)])
    assert gate.asked == [(SAN_JOSE, OAKLAND, "stolen_vehicle")]


def test_a_failing_gate_withholds_every_hit(
    service: HitService, hotlists: HotlistStore, hits: HitStore, gate: StateLawGate
) -> None:
    gate.broken = True
    hotlists.import_list(OAKLAND, "own", "local", "warrant", [{"plate": "7ABC123"}])
    report = service.process([make_read("7ABC123", owner=OAKLAND)])
    assert (report.delivered, report.denied) == (0, 1)
    assert hits.list_hits(OAKLAND) == []
    assert hits.denials(OAKLAND)[0].policy_ids == ("gate.error",)


def test_live_subscribers_of_the_list_owner_get_the_alert(
    service: HitService, hotlists: HotlistStore
) -> None:
    stream = AlertStream()
    service.sinks.append(stream)
    hotlists.import_list(OAKLAND, "own", "local", "warrant", [{"plate": "7ABC123"}])

    async def scenario() -> tuple[Alert | None, Alert | None]:
        mine = stream.subscribe(OAKLAND, user_id=10)
        other = stream.subscribe(SAN_JOSE, user_id=20)
        await asyncio.to_thread(service.process, [make_read("7ABC123", owner=OAKLAND)])
        got = await mine.get(timeout=30)
        nothing = await other.get(timeout=0.05)
        mine.close()
        other.close()
        return got, nothing

    got, nothing = asyncio.run(scenario())
    assert got is not None and got.read.plate == "7ABC123"
    assert nothing is None
    assert stream.subscribers(OAKLAND) == 0


def test_a_hit_on_an_entry_withdrawn_after_the_match_is_not_delivered(
    service: HitService, hotlists: HotlistStore
) -> None:
    hotlists.import_list(OAKLAND, "own", "local", "warrant", [{"plate": "7ABC123"}])
    # replaced through a store the index does not follow: the index still holds the old id
    HotlistStore(hotlists.engine).import_list(
        OAKLAND, "own", "local", "warrant", [{"plate": "7ABC123"}]
    )
    result = service.process([make_read("7ABC123", owner=OAKLAND)])
    assert (result.candidates, result.delivered, result.withdrawn) == (1, 0, 1)
