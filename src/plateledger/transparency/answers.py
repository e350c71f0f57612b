"""The public answers kept a short while: an agency's portal and its on-demand reports are
public and need no login, and each one asks the read store and the hit records for the
agency's period. An answer is kept under a key that names what it was computed from (the
agency, the report or the portal, the period or window, the audit log's size and the
catalog's generation) for at most ``ttl``: a caller asking again gets the same answer
without a query, a log that grew or a catalog that changed gives a new one at once, and
reads stored since show once the answer expires.

The clock is an argument (`time.monotonic` by default), so expiry is tested at chosen
instants, never by waiting.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import timedelta
from typing import Any

__all__ = ["AnswerCache"]

MAX_ANSWERS = 512
"""Answers kept at most (the oldest goes first): a bound on the memory callers can fill."""


class AnswerCache:
    """Answers by key, each kept ``ttl`` (``0``: none kept). ``computed`` counts the
    answers put in, that is, the answers computed because none was kept."""

    def __init__(
        self,
        ttl: timedelta,
        *,
        max_answers: int = MAX_ANSWERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < timedelta(0):
            raise ValueError("an answer cannot be kept a negative time")
        if max_answers < 1:
            raise ValueError("keep room for one answer at least")
        self.ttl = ttl.total_seconds()
        self.max_answers = max_answers
        self.clock = clock
        self.computed = 0
        self._answers: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The answer kept under ``key``, or None when there is none or it expired."""
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                return None
            expires, answer = found
            if self.clock() >= expires:
                del self._answers[key]
                return None
            return answer

    def put(self, key: Hashable, answer: Any) -> Any:
        """Keep ``answer`` under ``key`` (counted in `computed`) and return it."""
        with self._lock:
            self.computed += 1
            if self.ttl <= 0:
                return answer
            self._answers[key] = (self.clock() + self.ttl, answer)
            self._answers.move_to_end(key)
            while len(self._answers) > self.max_answers:
                self._answers.popitem(last=False)
            return answer

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)
