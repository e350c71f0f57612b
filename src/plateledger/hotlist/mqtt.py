"""``MqttPublisher``: alerts published to a topic per agency (paho-mqtt 2.x).

Messages go out with QoS 1. While the broker is unreachable paho keeps them queued in
memory and sends them after it reconnects; MQTT is a live channel, and webhooks (with
their outbox) are the one that survives a restart of this process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from plateledger.hotlist.alert import Alert
from plateledger.network_loop import NetworkLoop

log = logging.getLogger("plateledger.hotlist.mqtt")

DEFAULT_TOPIC = "plateledger/alerts/{agency_id}"


class MqttPublisher:
    """Publishes each alert to ``topics[agency]`` or ``topic_template`` (``{agency_id}``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        topic_template: str = DEFAULT_TOPIC,
        topics: Mapping[int, str] | None = None,
        qos: int = 1,
        client_id: str = "",
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
    ) -> None:
        if "#" in topic_template or "+" in topic_template:
            raise ValueError(f"topic `{topic_template}` must not hold wildcards")
        self.host, self.port = host, port
        self.topic_template = topic_template
        self.topics = dict(topics or {})
        self.qos = qos
        self._connected = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        if tls:
            self._client.tls_set()
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._loop = NetworkLoop(self._client, "alerts-mqtt")

    def _on_connect(self, client: object, userdata: object, flags: object, reason: object,
                    properties: object = None) -> None:  # fmt: skip
        self._connected.set()

    def _on_disconnect(self, client: object, userdata: object, flags: object, reason: object,
                       properties: object = None) -> None:  # fmt: skip
        self._connected.clear()
        log.warning("mqtt broker %s:%s disconnected: %s", self.host, self.port, reason)

    def topic(self, agency_id: int) -> str:
        return self.topics.get(agency_id) or self.topic_template.format(agency_id=agency_id)

    def start(self, timeout: float = 10.0) -> bool:
        """Connect and start the network thread; ``True`` once connected within ``timeout``
        (otherwise it keeps trying in the background)."""
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._loop.start()
        return self._connected.wait(timeout)

    def publish(self, alert: Alert) -> None:
        """Queue ``alert`` for its list owner's topic."""
        self._client.publish(
            self.topic(alert.list_owner_id), alert.model_dump_json(), qos=self.qos
        )

    def stop(self) -> None:
        self._loop.stop()
