"""When withheld hits are published: the hits a read owner's law kept from a list's owner
are recorded at once and appended to the audit log together at the end of their period
(UTC midnight by default), so that the log's public order and times tell only how many
were withheld in a period, never when one happened (docs/audit.md, *What denied data may
and may not change*).

`AuditLog.append_and_hold` holds them for the end of their period
(`plateledger.audit.log.release_time`); ``WithheldRelease`` appends what is due, in a
background thread of the server: at start and every ``poll`` seconds, whichever
process held them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from plateledger.audit import AuditLog
from plateledger.periodic import Periodic

log = logging.getLogger("plateledger.hotlist")

DEFAULT_PERIOD = timedelta(days=1)


class WithheldRelease:
    """Appends the audit log's held entries when they fall due: at start, then every
    ``poll`` seconds (`plateledger.periodic.Periodic`)."""

    def __init__(self, audit: AuditLog, *, poll: float = 60.0) -> None:
        self.audit = audit
        self.poll = poll
        self._periodic = Periodic("withheld-release", self.tick, timedelta(seconds=poll),
                                  first_delay=timedelta(0))

    def release(self, now: datetime | None = None) -> int:
        """Append what is due at ``now``; return how many entries were appended."""
        return len(self.audit.release_held(now))

    def tick(self) -> None:
        try:
            self.release()
        except Exception:  # keep going: what is held stays held
            log.exception("releasing withheld-hit entries failed")

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop(timeout=30)
