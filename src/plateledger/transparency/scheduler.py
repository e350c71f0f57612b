"""The report schedule inside the server: soon after start, then every ``interval``, it
writes the statutory reports that have fallen due for every agency
(`plateledger.transparency.writer.write_due`: each period written once, each generation
logged before its files appear), with what the read store and the hit records hold.

`run_once` takes the clock as an argument, so the schedule is tested at chosen instants,
never by waiting; the thread only calls it with the current time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from plateledger.audit import AuditLog
from plateledger.catalog import Catalog
from plateledger.periodic import Periodic
from plateledger.store import ReadStore
from plateledger.transparency.service import FactCache
from plateledger.transparency.writer import Written, write_due

__all__ = ["ReportScheduler"]

log = logging.getLogger(__name__)


class ReportScheduler:
    """Writes the due reports of every agency into ``folder``: a first look ``first_delay``
    after start (soon: a server restarted more often than ``interval`` still writes its
    reports), then every ``interval``."""

    def __init__(
        self,
        catalog: Catalog,
        audit_log: AuditLog,
        store: ReadStore | None,
        folder: Path,
        *,
        interval: timedelta = timedelta(hours=1),
        first_delay: timedelta = timedelta(minutes=1),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._periodic = Periodic("reports", self.tick, interval, first_delay)
        self.catalog = catalog
        self.audit_log = audit_log
        self.store = store
        self.folder = folder
        self.interval = interval
        self.first_delay = first_delay
        self.clock = clock
        self.facts = FactCache(audit_log)
        self.last_run: datetime | None = None
        self.last_written: list[Written] = []
        self.last_error: str | None = None
        self._run_lock = threading.Lock()

    def run_once(self, now: datetime) -> list[Written]:
        """Write the reports due at ``now``; none twice (a run in flight makes this one
        write nothing)."""
        if not self._run_lock.acquire(blocking=False):
            return []
        try:
            written = write_due(
                self.audit_log,
                self.catalog,
                self.folder,
                now,
                by="schedule",
                store=self.store,
                cache=self.facts,
            )
            self.last_run, self.last_written, self.last_error = now, written, None
            return written
        finally:
            self._run_lock.release()

    def tick(self) -> None:
        """One scheduled run at the clock's time: errors are logged and kept, never raised
        (the next run tries again; a report not written has no entry)."""
        try:
            written = self.run_once(self.clock())
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("report schedule: run failed")
            return
        for w in written:
            log.info("report schedule: wrote %s (entry %d)", w.stem, w.audit_index)

    def start(self) -> None:
        """Start the background thread; idempotent."""
        self._periodic.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop and wait for a run in flight to finish."""
        self._periodic.stop(timeout)
