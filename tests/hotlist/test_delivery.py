"""Delivery through the policy gate (the real engine, law packs and agreements): allowed
hits stored and audited, withheld ones audited without a plate, lists screened."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from plateledger.audit import AuditLog, NoteSigner
from plateledger.hotlist import (
    Alert,
    AlertStream,
    HitService,
    HitStore,
    HotlistStore,
    WebhookOutbox,
)
from tests.factories import make_read, period_stamp, withheld_entries
from tests.hotlist.conftest import CHP, ICE, OAKLAND, RENO, SAN_JOSE, RecordingGate

WITHHELD_FIELDS = {"type", "v", "time", "log_index", "read_owner", "list_owner", "list_class",
                   "policy_ids", "hit_id"}  # fmt: skip


def withheld(audit: AuditLog, since: int = 0) -> list[dict[str, Any]]:
    return withheld_entries(audit, since)


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
    assert entry["policy_ids"] == [f"own-agency-{OAKLAND}"]
    assert entry["list_class"] == "stolen_vehicle"
    assert report.hit_read_ids == {stored[0].read.read_id}


def test_an_immigration_list_never_matches_california_reads(
    service: HitService, hotlists: HotlistStore, hits: HitStore, audit: AuditLog
) -> None:
    hotlists.import_list(ICE, "ero", "NCIC IVF", "immigration_violator", [{"plate": "7ABC123"}])
    report = service.process([make_read("7ABC123", owner=OAKLAND, state="CA")])
    assert (report.candidates, report.delivered, report.denied) == (1, 0, 1)
    assert hits.list_hits(ICE) == []
    assert [e for _, e in audit.held()] == list(report.withheld_entries)
    [entry] = withheld(audit)
    assert set(entry) == WITHHELD_FIELDS
    assert (entry["read_owner"], entry["list_owner"], entry["list_class"]) == (
        "oakland-pd", "ice-ero", "immigration_violator"
    )
    assert "ca-gov-7284.6-no-immigration-hotlist" in entry["policy_ids"]
    assert "7ABC123" not in str(entry)
    assert report.withheld_until is not None
    assert entry["time"] == period_stamp(report.withheld_until)


def test_every_withheld_hit_is_its_own_audit_entry(
    service: HitService, hotlists: HotlistStore, audit: AuditLog
) -> None:
    hotlists.import_list(RENO, "reno", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    report = service.process([make_read("7ABC123", owner=OAKLAND, minutes_ago=m)
                              for m in (1, 2, 3)])  # fmt: skip
    assert report.denied == 3
    entries = withheld(audit)
    assert len(entries) == 3
    assert {(e["read_owner"], e["list_owner"], tuple(e["policy_ids"])) for e in entries} == {
        ("oakland-pd", "reno-pd", ("ca-civ-1798.90.55b-no-out-of-state",))
    }


def test_a_hit_crosses_agencies_only_under_an_agreement(
    service: HitService, hotlists: HotlistStore, hits: HitStore
) -> None:
    hotlists.import_list(SAN_JOSE, "sj", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    hotlists.import_list(RENO, "reno", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    report = service.process([make_read("7ABC123", owner=OAKLAND)])
    assert (report.delivered, report.denied) == (1, 1)
    assert len(hits.list_hits(SAN_JOSE)) == 1
    assert hits.list_hits(RENO) == []


def test_an_agreement_requiring_a_case_number_lets_an_entry_with_one_alert(
    service: HitService, hotlists: HotlistStore, hits: HitStore, audit: AuditLog
) -> None:
    rows = [{"plate": "7ABC123", "reason": "child abduction, suspect vehicle",
             "case_number": "AMBER-2026-001"},
            {"plate": "8XYZ456", "reason": "child abduction, second vehicle"}]  # fmt: skip
    hotlists.import_list(CHP, "AMBER alert", "CHP", "amber_alert", rows)
    report = service.process([make_read("7ABC123", owner=OAKLAND),
                              make_read("8XYZ456", owner=OAKLAND)])  # fmt: skip
    assert (report.delivered, report.denied) == (1, 1)
    [hit] = hits.list_hits(CHP)
    assert (hit.read.plate, hit.category, hit.case_number) == (
        "7ABC123", "amber_alert", "AMBER-2026-001"
    )
    [entry] = withheld(audit)
    assert (entry["list_owner"], entry["list_class"], entry["policy_ids"]) == (
        "chp", "amber_alert", ["agreement-3-case-number-required"]
    )


def test_the_gate_is_asked_once_per_distinct_question(
    service: HitService, hotlists: HotlistStore, gate: RecordingGate
) -> None:
    hotlists.import_list(SAN_JOSE, "sj", "local", "stolen_vehicle",
                         [{"plate": f"7ABC12{i}", "case_number": f"24-{i}"} for i in range(10)])
    service.process([make_read(f"7ABC12{i}", owner=OAKLAND) for i in range(10)])
    assert [(q.list_owner_id, q.read_owner_id, q.screened_class, q.has_case_number)
            for q in gate.asked] == [(SAN_JOSE, OAKLAND, "stolen_vehicle", True)]  # fmt: skip


def test_a_gate_that_cannot_decide_withholds_every_hit(
    service: HitService, hotlists: HotlistStore, hits: HitStore, audit: AuditLog
) -> None:
    unknown = 99  # a list owner the policy engine has no facts about: it raises
    hotlists.import_list(unknown, "own", "local", "warrant", [{"plate": "7ABC123"}])
    report = service.process([make_read("7ABC123", owner=OAKLAND)])
    assert (report.delivered, report.denied) == (0, 1)
    assert hits.list_hits(unknown) == []
    assert withheld(audit)[0]["policy_ids"] == ["gate.error"]


def test_no_audit_entry_means_no_delivery(
    index: Any, hotlists: HotlistStore, hits: HitStore, gate: RecordingGate,
    webhooks: WebhookOutbox, tmp_path: Any,
) -> None:  # fmt: skip
    # an audit log whose database has no log tables: every append fails
    broken = AuditLog(create_engine(f"sqlite:///{tmp_path / 'no-log.sqlite'}"),
                      signer=NoteSigner.load_or_create(tmp_path / "keys", "test/broken"))
    stream = AlertStream()
    service = HitService(index, hotlists, hits, gate, broken, webhooks=webhooks,
                         sinks=[stream])  # fmt: skip
    webhooks.subscribe(OAKLAND, "https://hooks.example.org/alpr")
    hotlists.import_list(OAKLAND, "own", "local", "warrant", [{"plate": "7ABC123"}])

    async def scenario() -> Alert | None:
        mine = stream.subscribe(OAKLAND)
        with pytest.raises(OperationalError):
            await asyncio.to_thread(service.process, [make_read("7ABC123", owner=OAKLAND)])
        got = await mine.get(timeout=0.05)
        mine.close()
        return got

    assert asyncio.run(scenario()) is None
    assert hits.list_hits(OAKLAND) == []
    assert webhooks.items(OAKLAND, None, 100) == []


def test_live_subscribers_of_the_list_owner_get_the_alert(
    service: HitService, hotlists: HotlistStore
) -> None:
    stream = AlertStream()
    service.sinks.append(stream)
    hotlists.import_list(OAKLAND, "own", "local", "warrant", [{"plate": "7ABC123"}])

    async def scenario() -> tuple[Alert | None, Alert | None]:
        mine = stream.subscribe(OAKLAND)
        other = stream.subscribe(SAN_JOSE)
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


def test_hits_matched_on_arrival_are_delivered_with_the_read_as_stored(
    service: HitService, hotlists: HotlistStore, hits: HitStore,
) -> None:
    """Ingest matches a batch once, when it arrives (its retention needs the hits), and
    delivers from that match after the reads are stored: each hit of a stored read,
    with the read as stored (its clock decided since), and none for a read that was not
    stored (refused for a conflict, say)."""
    hotlists.import_list(OAKLAND, "stolen", "local", "stolen_vehicle",
                         [{"plate": "7ABC123"}, {"plate": "7XYZ999"}])
    arrived = [make_read("7ABC123", owner=OAKLAND), make_read("7XYZ999", owner=OAKLAND)]
    matched = service.match(arrived)
    assert sorted(h.read.plate for h in matched) == ["7ABC123", "7XYZ999"]
    kept = arrived[0].model_copy(update={"expires_at": arrived[0].expires_at.replace(
        year=arrived[0].expires_at.year + 1)})
    report = service.process([kept], matched=matched)
    assert (report.candidates, report.delivered) == (1, 1)
    assert report.hit_read_ids == {str(kept.read_id)}
    assert [h.read.plate for h in hits.list_hits(OAKLAND)] == ["7ABC123"]
    # a read refused for claiming the stored read's id with another plate lends it no hit
    impostor = arrived[1].model_copy(update={"read_id": kept.read_id})
    lent = service.process([kept], matched=service.match([impostor]))
    assert (lent.candidates, lent.delivered) == (0, 0)


# -- one-edit matches: the list owner's own reads only -----------------------------------


def test_a_one_edit_match_on_a_partners_read_is_no_hit(
    service: HitService, hotlists: HotlistStore, hits: HitStore, audit: AuditLog,
    gate: RecordingGate,
) -> None:
    """San Jose may receive Oakland's alerts; a read of Oakland's one character off San
    Jose's listed plate is not a hit: no gate asked, nothing stored, no audit entry."""
    hotlists.import_list(SAN_JOSE, "stolen", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    before = audit.size()
    report = service.process([make_read("7ABX123", owner=OAKLAND)])
    assert (report.candidates, report.delivered, report.denied, report.near_misses) == (
        0, 0, 0, 1)  # fmt: skip
    assert hits.list_hits(SAN_JOSE) == []
    assert gate.asked == []
    assert audit.size() == before


def test_exact_and_confusable_matches_on_a_partners_reads_are_hits(
    service: HitService, hotlists: HotlistStore, hits: HitStore
) -> None:
    hotlists.import_list(SAN_JOSE, "stolen", "local", "stolen_vehicle",
                         [{"plate": "7ABC123"}, {"plate": "8OB5126"}])  # fmt: skip
    report = service.process([make_read("7ABC123", owner=OAKLAND),
                              make_read("BO8S1Z6", owner=OAKLAND)])  # fmt: skip
    assert report.delivered == 2
    assert sorted((h.read.plate, h.match_kind) for h in hits.list_hits(SAN_JOSE)) == [
        ("7ABC123", "exact"), ("BO8S1Z6", "confusable")]  # fmt: skip


def test_a_one_edit_match_on_the_list_owners_own_read_is_a_hit(
    service: HitService, hotlists: HotlistStore, hits: HitStore
) -> None:
    hotlists.import_list(OAKLAND, "stolen", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    report = service.process([make_read("7ABX123", owner=OAKLAND)])
    assert (report.delivered, report.near_misses) == (1, 0)
    assert [(h.read.plate, h.match_kind) for h in hits.list_hits(OAKLAND)] == [
        ("7ABX123", "one_edit")]  # fmt: skip


def test_a_one_edit_match_policy_would_deny_is_not_counted_withheld(
    service: HitService, hotlists: HotlistStore, audit: AuditLog
) -> None:
    """Reno may not receive Oakland's alerts: its exact hit is withheld (an
    `alert_withheld` entry), its one-edit match is no hit and writes nothing."""
    hotlists.import_list(RENO, "reno", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    report = service.process([make_read("7ABC123", owner=OAKLAND),
                              make_read("7ABC12", owner=OAKLAND)])  # fmt: skip
    assert (report.denied, report.near_misses) == (1, 1)
    assert len(withheld(audit)) == 1
