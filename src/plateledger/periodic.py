"""`Periodic`: a server's background thread that calls ``tick`` every ``interval``, the
first time ``first_delay`` after `Periodic.start` (the retention purge, the report
schedule). ``tick`` must not raise: a scheduled job logs its own failures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta


class Periodic:
    """Calls ``tick`` in a daemon thread named ``name``: after ``first_delay`` (default:
    one ``interval``), then every ``interval``, until `stop`."""

    def __init__(
        self,
        name: str,
        tick: Callable[[], None],
        interval: timedelta,
        first_delay: timedelta | None = None,
    ) -> None:
        if interval <= timedelta(0):
            raise ValueError("the interval must be positive")
        if first_delay is not None and first_delay < timedelta(0):
            raise ValueError("the delay of the first run cannot be negative")
        self.name = name
        self.tick = tick
        self.interval = interval
        self.first_delay = interval if first_delay is None else first_delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread; idempotent."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop and wait for a run in flight to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        delay = self.first_delay
        while not self._stop.wait(delay.total_seconds()):
            self.tick()
            delay = self.interval
