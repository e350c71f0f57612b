"""Dispositions and the statistics a statutory report needs (NH RSA 261:75-b)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plateledger.hotlist import (
    Disposition,
    DispositionError,
    HitAction,
    HitService,
    HitStore,
    HotlistStore,
    UnknownHit,
)
from tests.factories import make_read
from tests.hotlist.conftest import OAKLAND, SAN_JOSE

PLATES = [f"7ABC{n:03d}" for n in range(12)]


@pytest.fixture
def delivered(service: HitService, hotlists: HotlistStore) -> list[str]:
    hotlists.import_list(OAKLAND, "own", "local", "stolen_vehicle",
                         [{"plate": p} for p in PLATES])  # fmt: skip
    report = service.process([make_read(p, owner=OAKLAND) for p in PLATES])
    return [a.hit_id for a in report.alerts if a.match_kind == "exact"]


def test_an_action_needs_a_confirmed_hit(hits: HitStore, delivered: list[str]) -> None:
    with pytest.raises(DispositionError, match="action `arrest` needs a confirmed hit"):
        hits.record_disposition(delivered[0], OAKLAND, "misread", "arrest", by="officer1")


def test_only_the_list_owner_records_a_disposition(hits: HitStore, delivered: list[str]) -> None:
    with pytest.raises(UnknownHit):
        hits.record_disposition(delivered[0], SAN_JOSE, "confirmed", by="officer9")


def test_disposition_stats_add_up(hits: HitStore, delivered: list[str]) -> None:
    plan = [
        ("confirmed", "arrest"), ("confirmed", "citation"), ("confirmed", "stop"),
        ("confirmed", "vehicle_recovered"), ("confirmed", "none"), ("misread", "none"),
        ("misread", "none"), ("wrong_state", "none"), ("dismissed", "none"),
    ]  # fmt: skip
    for hit_id, (disposition, action) in zip(delivered, plan, strict=False):
        record = hits.record_disposition(hit_id, OAKLAND, disposition, action, by="officer1")
        assert (record.disposition, record.action) == (disposition, action)
    now = datetime.now(UTC)
    stats = hits.disposition_stats(OAKLAND, now - timedelta(days=1), now + timedelta(days=1))
    total = stats.pending + stats.confirmed + stats.misread + stats.wrong_state + stats.dismissed
    assert stats.matches == total == len(hits.list_hits(OAKLAND, limit=1000))
    assert (stats.confirmed, stats.misread, stats.wrong_state, stats.dismissed) == (5, 2, 1, 1)
    assert stats.pending == stats.matches - 9
    assert stats.stops == 3
    assert stats.stops <= stats.confirmed
    assert sum(stats.outcomes.values()) == stats.confirmed
    assert sum(n for a, n in stats.outcomes.items() if a in {"stop", "warning", "citation",
                                                             "arrest"}) == stats.stops  # fmt: skip
    assert sum(stats.by_kind.values()) == stats.matches


def test_stats_count_only_the_period(hits: HitStore, delivered: list[str]) -> None:
    later = datetime.now(UTC) + timedelta(days=2)
    assert hits.disposition_stats(OAKLAND, later, later + timedelta(days=1)).matches == 0


def test_hits_past_their_retention_are_never_returned_and_are_purged(
    hits: HitStore, delivered: list[str]
) -> None:
    after = datetime.now(UTC) + hits.retention + timedelta(minutes=1)
    assert hits.list_hits(OAKLAND, now=after) == []
    with pytest.raises(UnknownHit):
        hits.get(delivered[0], OAKLAND, now=after)
    assert hits.purge_expired(after) >= len(delivered)
    assert hits.list_hits(OAKLAND) == []


def test_pending_hits_can_be_listed_alone(hits: HitStore, delivered: list[str]) -> None:
    hits.record_disposition(delivered[0], OAKLAND, Disposition.DISMISSED, HitAction.NONE, by="o1")
    pending = hits.list_hits(OAKLAND, pending_only=True, limit=1000)
    assert delivered[0] not in {h.hit_id for h in pending}
