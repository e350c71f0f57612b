"""Alarms for an agency's supervisors, auditors and admins: ``GET /v1/alarms`` (the latest
raised by this server process) and ``GET /v1/alarms/stream`` (server-sent events, ``event:
alarm``). Every alarm is also an ``alarm`` entry of the audit log, which keeps them all.

A user whose accesses keep being denied is refused with 429 and ``Retry-After``
(`plateledger.access.errors.Throttled`, raised by the gate before any decision).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sse_starlette import EventSourceResponse

from plateledger.api.deps import AlarmsDep, Principal, require_action
from plateledger.api.events import event_stream
from plateledger.policy import Action

router = APIRouter(prefix="/v1/alarms", tags=["alarms"])


AlarmWatcher = Annotated[Principal, Depends(require_action(Action.VIEW_ALARMS))]
"""Who may follow the agency's alarms is the role pack's `role-view-alarms`."""


@router.get("", summary="Your agency's latest alarms (supervisors, auditors, admins)")
def list_alarms(
    user: AlarmWatcher, monitor: AlarmsDep, limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    return {"alarms": [a.as_json() for a in monitor.recent(user.agency_id, limit)]}


@router.get("/stream", response_class=EventSourceResponse,
            summary="Your agency's alarms as they are raised (server-sent events)")
async def alarm_stream(user: AlarmWatcher, monitor: AlarmsDep) -> EventSourceResponse:
    return event_stream(monitor.stream.subscribe(user.agency_id), name="alarm",
                        ident=lambda alarm: str(alarm.index),
                        data=lambda alarm: json.dumps(alarm.as_json()))
