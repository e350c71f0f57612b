"""``GET /v1/alerts/stream``: the caller's agency's alerts as server-sent events.

Each event is ``event: alert``, ``id: <hit id>`` and the alert as JSON in ``data``; a
comment line every ``KEEPALIVE`` seconds keeps proxies from closing an idle stream. The
stream is live only: a client that reconnects reads what it missed from ``GET /v1/hits``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from plateledger.api.deps import CurrentUser, HotlistDep

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

KEEPALIVE = 15.0


@router.get("/stream", response_class=StreamingResponse)
async def alert_stream(
    request: Request, user: CurrentUser, runtime: HotlistDep
) -> StreamingResponse:
    subscription = runtime.stream.subscribe(user.agency_id, user.user_id)

    async def events() -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"
            while not await request.is_disconnected():
                alert = await subscription.get(timeout=KEEPALIVE)
                if alert is None:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: alert\nid: {alert.hit_id}\ndata: {alert.model_dump_json()}\n\n"
        finally:
            subscription.close()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
