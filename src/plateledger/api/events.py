"""Server-sent event streams of an agency's live events (alerts, alarms).

A stream opens with a ``connected`` comment; each event carries its name, its id and its
JSON in ``data``; a ping comment every ``KEEPALIVE`` seconds keeps proxies from closing an
idle stream (sse-starlette). The subscription is closed when the client goes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from sse_starlette import EventSourceResponse, ServerSentEvent

from plateledger.agency_stream import Subscription

Event = TypeVar("Event")

KEEPALIVE = 15
"""Seconds between ping comments on an idle stream."""


def event_stream(
    subscription: Subscription[Event], *, name: str,
    ident: Callable[[Event], str], data: Callable[[Event], str],
) -> EventSourceResponse:
    """The events of ``subscription`` as a server-sent event response."""

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            yield ServerSentEvent(comment="connected")
            async for event in subscription:
                yield ServerSentEvent(data=data(event), event=name, id=ident(event))
        finally:
            subscription.close()

    return EventSourceResponse(
        events(), ping=KEEPALIVE,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
