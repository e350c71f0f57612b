from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from plateledger.audit import AuditLog
from plateledger.retention import (
    HoldStore,
    PurgeRunning,
    RetentionPolicy,
    RetentionScheduler,
)
from plateledger.store import ReadStore
from tests.factories import make_read


def test_a_run_deletes_expired_reads_and_remembers_its_receipt(
    reads: ReadStore, audit_log: AuditLog, holds: HoldStore
) -> None:
    reads.insert_reads([make_read("7OLD123", minutes_ago=300, keep_days=0.1)])
    scheduler = RetentionScheduler(reads, audit_log, holds, dict)
    receipt = scheduler.run_once()
    assert receipt.rows_deleted == 1
    assert scheduler.last_receipt == receipt


def test_runs_never_overlap(reads: ReadStore, audit_log: AuditLog, holds: HoldStore) -> None:
    refusals: list[str] = []

    def policies() -> Mapping[int, RetentionPolicy]:
        # called inside a run: a second run asked for now must be refused
        with pytest.raises(PurgeRunning) as refused:
            scheduler.run_once()
        refusals.append(str(refused.value))
        return {}

    scheduler = RetentionScheduler(reads, audit_log, holds, policies)
    scheduler.run_once()
    assert refusals == ["a retention run is already in progress"]


def test_a_failed_scheduled_run_is_logged_not_raised(
    reads: ReadStore, audit_log: AuditLog, holds: HoldStore
) -> None:
    def broken() -> Mapping[int, RetentionPolicy]:
        raise RuntimeError("catalog unreachable")

    scheduler = RetentionScheduler(reads, audit_log, holds, broken)
    scheduler.tick()
    assert scheduler.last_error == "catalog unreachable"
    assert audit_log.size() == 0


def test_the_thread_starts_and_stops(
    reads: ReadStore, audit_log: AuditLog, holds: HoldStore
) -> None:
    scheduler = RetentionScheduler(reads, audit_log, holds, dict, interval=timedelta(hours=1))
    scheduler.start()
    scheduler.stop(timeout=10)
    assert scheduler.last_receipt is None


def test_the_interval_must_be_positive(
    reads: ReadStore, audit_log: AuditLog, holds: HoldStore
) -> None:
    with pytest.raises(ValueError, match="positive"):
        RetentionScheduler(reads, audit_log, holds, dict, interval=timedelta(0))


def test_a_run_at_a_given_moment_uses_it_as_the_cutoff(
    reads: ReadStore, audit_log: AuditLog, holds: HoldStore
) -> None:
    now = datetime.now(UTC)
    reads.insert_reads([make_read("7SOON12", minutes_ago=5, keep_days=1, now=now)])
    scheduler = RetentionScheduler(reads, audit_log, holds, dict)
    assert scheduler.run_once(now).rows_deleted == 0
    assert scheduler.run_once(now + timedelta(days=2)).rows_deleted == 1
