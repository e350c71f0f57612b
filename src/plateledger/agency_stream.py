"""`AgencyStream`: an in-process hub that hands each event to the live subscribers of one
agency — hot-list alerts to the list's owner, alarms to the agency of the user they are
about — behind the server-sent event routes.

Each subscriber gets a bounded asyncio queue on its own event loop; ``publish`` may be
called from any thread. A slow subscriber loses its oldest events, never blocks a
publisher. The streams are live views: what a client missed is in the hits list or the
audit log.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

Event = TypeVar("Event")

DEFAULT_QUEUE = 1000
"""Events a slow client may fall behind by before the oldest are dropped from its queue."""


class Subscription(Generic[Event]):
    """One subscriber's queue of an agency's events. Use on the loop that created it."""

    def __init__(self, hub: AgencyStream[Event], agency_id: int, maxsize: int) -> None:
        self.agency_id = agency_id
        self.dropped = 0
        self._hub = hub
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)

    def _offer(self, event: Event) -> None:
        """Runs on the subscription's loop: enqueue, dropping the oldest when full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    def _post(self, event: Event) -> bool:
        """Hand ``event`` to the subscription's loop; ``False`` once that loop is closed."""
        try:
            self._loop.call_soon_threadsafe(self._offer, event)
        except RuntimeError:
            return False
        return True

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or ``None`` after ``timeout`` seconds without one."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            yield await self._queue.get()

    def close(self) -> None:
        self._hub._remove(self)


class AgencyStream(Generic[Event]):
    """Routes each event to the subscriptions of the agency ``agency_of`` names."""

    def __init__(self, agency_of: Callable[[Event], int], *,
                 queue_size: int = DEFAULT_QUEUE) -> None:
        self._agency_of = agency_of
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._by_agency: dict[int, set[Subscription[Event]]] = {}

    def subscribe(self, agency_id: int) -> Subscription[Event]:
        """A new subscription to ``agency_id``'s events. Call from a running loop."""
        subscription = Subscription(self, agency_id, self._queue_size)
        with self._lock:
            self._by_agency.setdefault(agency_id, set()).add(subscription)
        return subscription

    def _remove(self, subscription: Subscription[Event]) -> None:
        with self._lock:
            subscribers = self._by_agency.get(subscription.agency_id)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_agency[subscription.agency_id]

    def subscribers(self, agency_id: int) -> int:
        with self._lock:
            return len(self._by_agency.get(agency_id, ()))

    def publish(self, event: Event) -> None:
        """Queue ``event`` for every subscriber of its agency (any thread)."""
        with self._lock:
            targets = list(self._by_agency.get(self._agency_of(event), ()))
        for subscription in targets:
            if not subscription._post(event):
                self._remove(subscription)
