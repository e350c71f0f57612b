"""``GET /v1/alerts/stream``: the caller's agency's alerts as server-sent events.

Each event is ``event: alert``, ``id: <hit id>`` and the alert as JSON in ``data``
(`plateledger.api.events`). The stream is live only: a client that reconnects reads what
it missed from ``GET /v1/hits``.
"""

from __future__ import annotations

from fastapi import APIRouter
from sse_starlette import EventSourceResponse

from plateledger.api.deps import HotlistDep
from plateledger.api.events import event_stream
from plateledger.api.routes.hotlists import Receiver

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


@router.get("/stream", response_class=EventSourceResponse)
async def alert_stream(user: Receiver, runtime: HotlistDep) -> EventSourceResponse:
    return event_stream(runtime.stream.subscribe(user.agency_id), name="alert",
                        ident=lambda alert: str(alert.hit_id),
                        data=lambda alert: alert.model_dump_json())
