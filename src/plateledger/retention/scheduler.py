"""`RetentionScheduler`: runs the purge every few minutes in a thread of the server.

Runs never overlap: a scheduled run and one asked for over HTTP share one lock, and a run
asked for while another is in flight is refused (`PurgeRunning`). A failed run is logged
and retried at the next tick; it never stops the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from plateledger.audit import AuditLog
from plateledger.periodic import Periodic
from plateledger.policy.clocks import RetentionPolicy
from plateledger.retention.holds import HoldStore, LegalHold
from plateledger.retention.purge import IMAGE_WINDOW, purge
from plateledger.retention.receipt import DeletionReceipt
from plateledger.store import ReadStore
from plateledger.store.image_purges import ImagesGone
from plateledger.store.images import CropStore

log = logging.getLogger("plateledger.retention")

PolicySource = Callable[[], Mapping[int, RetentionPolicy]]
"""Returns each owner agency's current policy (from the catalog and its law packs)."""


class PurgeRunning(RuntimeError):
    """A purge was asked for while another is in flight."""


class RetentionScheduler:
    """Purges ``store`` every ``interval``; `run_once` purges now."""

    def __init__(
        self,
        store: ReadStore,
        audit_log: AuditLog,
        holds: HoldStore,
        policies: PolicySource,
        *,
        interval: timedelta = timedelta(minutes=15),
        images: CropStore | None = None,
        gone: ImagesGone | None = None,
        hits: Callable[[datetime], int] | None = None,
    ) -> None:
        self._periodic = Periodic("retention", self.tick, interval)
        self.store = store
        self.audit_log = audit_log
        self.holds = holds
        self.policies = policies
        self.interval = interval
        self.images = images
        self.gone = gone
        self.hits = hits
        """Deletes the hot-list hits past their clock at a moment (`HitStore.purge_expired`):
        a hit copies its read's plate, time and place, and is deleted by the same run."""
        self.last_receipt: DeletionReceipt | None = None
        self.last_error: str | None = None
        self._run_lock = threading.Lock()

    def run_once(self, now: datetime | None = None) -> DeletionReceipt:
        """Purge at ``now`` (default: the current time); raises `PurgeRunning` if busy."""
        if not self._run_lock.acquire(blocking=False):
            raise PurgeRunning("a retention run is already in progress")
        try:
            cutoff = now or datetime.now(UTC)
            receipt = purge(
                self.store, cutoff, self.policies(), self.holds_due(cutoff), self.audit_log,
                self.images, self.gone,
            )
            if self.hits is not None:
                deleted = self.hits(cutoff)
                if deleted:
                    log.info("retention run deleted %d hot-list hits past their clock", deleted)
            self.last_receipt = receipt
            self.last_error = None
            return receipt
        finally:
            self._run_lock.release()

    def holds_due(self, now: datetime) -> list[LegalHold]:
        """The holds a run at ``now`` weighs: the active ones (they keep reads), and those
        that ended within `IMAGE_WINDOW` (the images they kept past their clock go now;
        runs are minutes apart)."""
        return [h for h in self.holds.list()
                if h.active(now) or (h.released_at or h.expires_at) > now - IMAGE_WINDOW]

    def start(self) -> None:
        """Start the background thread (first run after one interval); idempotent."""
        self._periodic.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop and wait for a run in flight to finish."""
        self._periodic.stop(timeout)

    def tick(self) -> None:
        """One scheduled run: errors are logged and remembered, never raised."""
        try:
            receipt = self.run_once()
        except PurgeRunning:
            log.info("retention run skipped: another run is in progress")
        except Exception as exc:  # a failed run must not stop the schedule
            self.last_error = str(exc)
            log.exception("retention run failed")
        else:
            log.info(
                "retention run deleted %d rows; receipt at audit index %s",
                receipt.rows_deleted, receipt.audit_index,
            )
