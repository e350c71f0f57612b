"""Alarms for supervisors, and the throttle on users whose searches keep being denied.

`AlarmMonitor` watches every decided access (`AccessGate.record` tells it) and raises an
alarm — an ``alarm`` audit entry, pushed live to the agency's supervisors, auditors and
admins (`AlarmStream`) — when:

- ``denial_burst``: one user's accesses were denied ``denials`` times within ``window``;
- ``flagged_reason``: a reason was flagged by the reason screen (immigration,
  reproductive health, protected activity);
- ``search_throttled``: one user's accesses were denied ``throttle_denials`` times within
  ``window``; their next requests are refused (`Throttled`, HTTP 429 with ``Retry-After``)
  until fewer than that many denials are left in the window. A partner node's users are
  also counted together (``node_throttle_denials``): a node that names a new user for
  each search it sends is throttled as a whole;
- ``login_backoff``: a user's logins from one source address failed enough times that the
  source must wait (raised by the login route).

An access counts as denied when an owner refused it by a written rule (any rule other than
``default-deny``: no agreement is the ordinary case of a search that asks every owner), or
when no owner released anything. The counts are kept in this process's memory: a restart
forgets them, and several API processes count separately. An alarm carries no plate, query,
case number or reason text.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from plateledger.access.errors import Throttled
from plateledger.agency_stream import DEFAULT_QUEUE, AgencyStream
from plateledger.audit import AuditLog, new_entry
from plateledger.catalog import Catalog, Principal

if TYPE_CHECKING:
    from plateledger.access.gate import AccessQuestion, Decision

log = logging.getLogger("plateledger.alarm")

ALARM = "alarm"
"""The ``type`` of an alarm's audit entry."""

DENIAL_BURST = "denial_burst"
FLAGGED_REASON = "flagged_reason"
SEARCH_THROTTLED = "search_throttled"
LOGIN_BACKOFF = "login_backoff"
KINDS = (DENIAL_BURST, FLAGGED_REASON, SEARCH_THROTTLED, LOGIN_BACKOFF)

DEFAULT_DENY = "default-deny"
ALARM_ROLES = ("supervisor", "auditor", "admin")
"""Who may list and follow their agency's alarms."""


@dataclass(frozen=True)
class AlarmConfig:
    denials: int = 10
    """Denied accesses by one user within ``window`` that raise a ``denial_burst``."""
    throttle_denials: int = 20
    """Denied accesses by one user within ``window`` after which they are throttled."""
    node_throttle_denials: int = 100
    """Denied accesses by all the users of one partner node within ``window`` after which
    every request of that node's users is throttled."""
    window: float = 60.0
    """Seconds of the sliding window."""
    flags: frozenset[str] = frozenset({"immigration", "reproductive_health",
                                       "protected_activity"})
    """Reason flags that raise a ``flagged_reason`` alarm."""
    keep: int = 500
    """Recent alarms kept in memory per agency, for ``GET /v1/alarms``."""


@dataclass(frozen=True)
class Alarm:
    index: int
    time: str
    kind: str
    user: str
    agency: str
    agency_id: int
    count: int
    window_seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index, "time": self.time, "kind": self.kind, "user": self.user,
            "agency": self.agency, "count": self.count, "window_seconds": self.window_seconds,
            **self.details,
        }


class AlarmStream(AgencyStream[Alarm]):
    """Routes each alarm to the live subscribers of the agency of the user it is about."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE) -> None:
        super().__init__(lambda alarm: alarm.agency_id, queue_size=queue_size)


def _node_key(node: str) -> str:
    """The key under which a partner node's users' denials are counted together."""
    return f"node:{node}"


def denied_access(decision: Decision) -> bool:
    """Whether an owner refused the access by a written rule, or none released anything."""
    outcomes = list(decision.outcomes.values())
    if outcomes and not any(o.allowed for o in outcomes):
        return True
    return any(not o.allowed and any(p != DEFAULT_DENY for p in o.policy_ids)
               for o in outcomes)


class AlarmMonitor:
    """Counts each user's denied accesses, raises alarms and throttles (thread-safe)."""

    def __init__(
        self, audit_log: AuditLog, catalog: Catalog, config: AlarmConfig | None = None, *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.audit_log = audit_log
        self.catalog = catalog
        self.config = config or AlarmConfig()
        self.stream = AlarmStream()
        self._clock = clock
        self._lock = threading.Lock()
        self._denials: dict[int | str, deque[float]] = {}
        self._last: dict[tuple[int | str, str], float] = {}
        self._recent: dict[int, deque[Alarm]] = {}

    def _window(self, user_id: int | str, now: float) -> deque[float]:
        """The times of the denials of a user (their id) or of a partner node (its name)."""
        times = self._denials.setdefault(user_id, deque())
        while times and times[0] <= now - self.config.window:
            times.popleft()
        return times

    def _due(self, user_id: int | str, kind: str, now: float) -> bool:
        """Whether ``kind`` may be raised again for the user (once per window)."""
        last = self._last.get((user_id, kind))
        if last is not None and now - last < self.config.window:
            return False
        self._last[(user_id, kind)] = now
        return True

    def _slug(self, agency_id: int) -> str:
        try:
            agency = self.catalog.agency(agency_id)
        except Exception:  # the alarm is raised even when the catalog cannot name it
            log.exception("naming agency %s for an alarm failed", agency_id)
            agency = None
        return str(agency_id) if agency is None else str(agency.slug)

    def check(self, user: Principal) -> None:
        """Raise `Throttled` when ``user``'s accesses keep being denied, or those of all
        the users of the partner node their request came through."""
        self._check(user, user.user_id, user.username, self.config.throttle_denials)
        if user.node is not None:
            self._check(user, _node_key(user.node), f"every user of node {user.node}",
                        self.config.node_throttle_denials)

    def _check(self, user: Principal, key: int | str, who: str, limit: int) -> None:
        now = self._clock()
        with self._lock:
            times = self._window(key, now)
            if len(times) < limit:
                return
            count = len(times)
            frees = times[len(times) - limit] + self.config.window
            retry = max(1, math.ceil(frees - now))
            due = self._due(key, SEARCH_THROTTLED, now)
        if due:
            self.raise_alarm(SEARCH_THROTTLED, who, user.agency_id, count,
                             retry_after_seconds=retry)
        raise Throttled(retry, count, self.config.window)

    def observe(self, question: AccessQuestion, decision: Decision, index: int) -> list[Alarm]:
        """Count a logged access (at audit ``index``) and raise the alarms it trips."""
        user = question.user
        now = self._clock()
        raised: list[Alarm] = []
        burst = 0
        with self._lock:
            if denied_access(decision):
                if user.node is not None:
                    self._window(_node_key(user.node), now).append(now)
                times = self._window(user.user_id, now)
                times.append(now)
                if len(times) >= self.config.denials and self._due(
                        user.user_id, DENIAL_BURST, now):
                    burst = len(times)
        if burst:
            raised += self._raised(self.raise_alarm(
                DENIAL_BURST, user.username, user.agency_id, burst, entry_index=index))
        flags = sorted(set(decision.reason_flags) & self.config.flags)
        if flags:
            raised += self._raised(self.raise_alarm(
                FLAGGED_REASON, user.username, user.agency_id, 1, entry_index=index,
                reason_flags=flags, purpose=question.purpose))
        return raised

    @staticmethod
    def _raised(alarm: Alarm | None) -> Iterable[Alarm]:
        return () if alarm is None else (alarm,)

    def raise_alarm(
        self, kind: str, user: str, agency_id: int, count: int, **details: Any,
    ) -> Alarm | None:
        """Append the alarm to the audit log, keep it and push it to the agency's
        subscribers; ``None`` (and an error in the server log) when it cannot be logged."""
        agency = self._slug(agency_id)
        fields = {"kind": kind, "user": user, "agency": agency, "count": count,
                  "window_seconds": self.config.window, **details}
        try:
            index = self.audit_log.append(new_entry(ALARM, **fields))
            stored = self.audit_log.entry(index)
        except Exception:
            log.exception("the %s alarm for %s could not be logged", kind, user)
            return None
        alarm = Alarm(index, stored.time, kind, user, agency, agency_id, count,
                      self.config.window, details)
        with self._lock:
            self._recent.setdefault(agency_id, deque(maxlen=self.config.keep)).append(alarm)
        self.stream.publish(alarm)
        return alarm

    def recent(self, agency_id: int, limit: int = 100) -> list[Alarm]:
        """The agency's latest alarms raised by this process, newest first."""
        with self._lock:
            alarms = list(self._recent.get(agency_id, ()))
        return alarms[::-1][:limit]
