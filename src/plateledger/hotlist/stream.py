"""``AlertStream``: the in-process hub behind ``GET /v1/alerts/stream`` (server-sent events).

Each connected user gets a bounded queue of the alerts delivered to their agency (the
owner of the list that matched), fed from any thread (`plateledger.agency_stream`). The
stream is a live view: a client that was away reads what it missed from the hits list (and
webhooks are the channel that guarantees delivery).
"""

from __future__ import annotations

from plateledger.agency_stream import DEFAULT_QUEUE, AgencyStream, Subscription
from plateledger.hotlist.alert import Alert

AlertSubscription = Subscription[Alert]


class AlertStream(AgencyStream[Alert]):
    """Routes each alert to the subscriptions of the agency that owns its list."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE) -> None:
        super().__init__(lambda alert: alert.list_owner_id, queue_size=queue_size)
