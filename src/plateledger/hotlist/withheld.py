"""When withheld hits are published: the hits a read owner's law kept from a list's owner
are recorded at once and appended to the audit log together at the end of their period
(UTC midnight by default), so that the log's public order and times tell only how many
were withheld in a period, never when one happened (docs/audit.md, *What denied data may
and may not change*).

`AuditLog.append_and_hold` holds them for the end of their period
(`plateledger.audit.log.release_time`); ``WithheldRelease`` appends what is due, in a
background thread of the server: every ``poll`` seconds (so that entries another
process held are released too), and when its own next one is due.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from plateledger.audit import AuditLog

log = logging.getLogger("plateledger.hotlist")

DEFAULT_PERIOD = timedelta(days=1)


class WithheldRelease:
    """Appends the audit log's held entries when they fall due."""

    def __init__(self, audit: AuditLog, *, poll: float = 60.0) -> None:
        self.audit = audit
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def release(self, now: datetime | None = None) -> int:
        """Append what is due at ``now``; return how many entries were appended."""
        return len(self.audit.release_held(now))

    def _wait(self) -> float:
        due = self.audit.next_release()
        if due is None:
            return self.poll
        return min(self.poll, max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.01)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                wait = self.poll
                try:
                    self.release()
                    wait = self._wait()
                except Exception:  # keep going: what is held stays held
                    log.exception("releasing withheld-hit entries failed")
                self._stop.wait(wait)

        self._thread = threading.Thread(target=run, name="withheld-release", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
