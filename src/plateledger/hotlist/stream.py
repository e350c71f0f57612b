"""``AlertStream``: the in-process hub behind ``GET /v1/alerts/stream`` (server-sent events).

Each connected user gets a bounded asyncio queue on their own event loop, fed with the
alerts delivered to their agency. ``publish`` may be called from any thread. The stream
is a live view: a client that was away reads what it missed from the hits list (and
webhooks are the channel that guarantees delivery).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from plateledger.hotlist.alert import Alert

DEFAULT_QUEUE = 1000
"""Alerts a slow client may fall behind by before the oldest are dropped from its queue."""


class AlertSubscription:
    """One user's queue of alerts for their agency. Use on the loop that created it."""

    def __init__(self, hub: AlertStream, agency_id: int, user_id: int, maxsize: int) -> None:
        self.agency_id = agency_id
        self.user_id = user_id
        self.dropped = 0
        self._hub = hub
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Alert] = asyncio.Queue(maxsize)

    def _offer(self, alert: Alert) -> None:
        """Runs on the subscription's loop: enqueue, dropping the oldest when full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(alert)

    def _post(self, alert: Alert) -> bool:
        """Hand ``alert`` to the subscription's loop; ``False`` once that loop is closed."""
        try:
            self._loop.call_soon_threadsafe(self._offer, alert)
        except RuntimeError:
            return False
        return True

    async def get(self, timeout: float | None = None) -> Alert | None:
        """The next alert, or ``None`` after ``timeout`` seconds without one."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    async def __aiter__(self) -> AsyncIterator[Alert]:
        while True:
            yield await self._queue.get()

    def close(self) -> None:
        self._hub._remove(self)


class AlertStream:
    """Routes each alert to the subscriptions of the agency that owns its list."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE) -> None:
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._by_agency: dict[int, set[AlertSubscription]] = {}

    def subscribe(self, agency_id: int, user_id: int) -> AlertSubscription:
        """A new subscription for ``user_id`` of ``agency_id``. Call from a running loop."""
        subscription = AlertSubscription(self, agency_id, user_id, self._queue_size)
        with self._lock:
            self._by_agency.setdefault(agency_id, set()).add(subscription)
        return subscription

    def _remove(self, subscription: AlertSubscription) -> None:
        with self._lock:
            subscribers = self._by_agency.get(subscription.agency_id)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_agency[subscription.agency_id]

    def subscribers(self, agency_id: int) -> int:
        with self._lock:
            return len(self._by_agency.get(agency_id, ()))

    def publish(self, alert: Alert) -> None:
        """Queue ``alert`` for every subscriber of its list's owner (any thread)."""
        with self._lock:
            targets = list(self._by_agency.get(alert.list_owner_id, ()))
        for subscription in targets:
            if not subscription._post(alert):
                self._remove(subscription)
