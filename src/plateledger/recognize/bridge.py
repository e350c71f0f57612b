"""The MQTT bridge: Frigate and Plate Minder messages to the server, through the spool.

Each message's JSON body goes to the server unparsed (the server's adapters own the
formats), where its topic says: Frigate ``tracked_object_update`` LPR events (``"type":
"lpr"``; other event types are skipped) to ``/v1/reads/frigate``, OpenALPR ``alpr_results``
(Plate Minder's ``plate-minder/detect``) to ``/v1/reads/plate_minder?camera=<name>``. A
message that is not JSON, or not of its topic's shape, is logged and skipped with its
reason; none stops the bridge. Messages are spooled before they are acknowledged to
nobody in particular (MQTT QoS 0/1 has no end-to-end acknowledgement): once spooled, they
survive a server outage and a restart of the bridge; the broker keeps the bridge's session
(one client id per spool), so what is published while it restarts waits for it. paho
reconnects to a restarted broker by itself; subscriptions are renewed on every connect.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from plateledger.network_loop import NetworkLoop
from plateledger.recognize.spool import Spool

log = logging.getLogger(__name__)

FRIGATE_ENDPOINT = "/v1/reads/frigate"
PLATE_MINDER_ENDPOINT = "/v1/reads/plate_minder"
_MESSAGE_NAMESPACE = uuid.UUID("0f6a3c52-8d1e-4c51-9a0e-3b7d2f4c6e18")


@dataclass
class BridgeStats:
    """Counters for the progress display."""

    received: int = 0
    spooled: int = 0
    skipped: int = 0
    connected: bool = False
    last_error: str = ""


@dataclass(frozen=True)
class Broker:
    """An MQTT broker address: ``mqtt://[user:password@]host[:port]``, or ``mqtts://…``
    for TLS (the system's trusted certificates)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> Broker:
        """Parse ``mqtt[s]://[user:password@]host[:port]`` (port 1883, or 8883 with TLS, by
        default); raise ValueError otherwise."""
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        if parts.scheme not in ("mqtt", "tcp", "mqtts", "ssl") or not parts.hostname:
            raise ValueError(f"broker `{url}` must look like mqtt://host:port")
        tls = parts.scheme in ("mqtts", "ssl")
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise ValueError(f"broker `{url}` has no valid port") from None
        return cls(parts.hostname, port,
                   unquote(parts.username) if parts.username is not None else None,
                   unquote(parts.password) if parts.password is not None else None, tls)


@dataclass
class Route:
    """Where a message goes: the endpoint and path for one topic's messages."""

    endpoint: str
    item_id: str


@dataclass
class MqttBridge:
    """Subscribes to ``topics`` on ``broker`` and spools each message for the server."""

    broker: Broker
    topics: list[str]
    spool_path: Path
    camera_map: dict[str, str] = field(default_factory=dict)
    stats: BridgeStats = field(default_factory=BridgeStats)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._spool: Spool | None = None
        # One client id per spool, and a session the broker keeps: QoS 1 messages
        # published while the bridge restarts are queued for it, not lost. (Two bridges
        # sharing a spool would share the id: the broker keeps one of them connected.)
        spool_id = hashlib.sha256(str(self.spool_path.resolve()).encode()).hexdigest()[:12]
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                   client_id=f"plateledger-bridge-{spool_id}",
                                   clean_session=False)
        if self.broker.username is not None:
            self._client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self._client.tls_set()
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._subscribing: int | None = None
        self._loop = NetworkLoop(self._client, "bridge")

    def start(self) -> None:
        """Connect (retrying in the background if the broker is down) and start listening."""
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._loop.start()

    def stop(self) -> None:
        """Disconnect and stop the network thread; spooled messages stay spooled."""
        self._loop.stop()
        with self._lock:
            if self._spool is not None:
                self._spool.close()
                self._spool = None

    def route(self, topic: str, body: object) -> Route | str:
        """The endpoint for a decoded message, or why it is skipped.

        The topic decides, never the body: Frigate's topics (``frigate/…``, or any
        ``…/tracked_object_update``) go to the Frigate adapter, every other topic is
        OpenALPR results (Plate Minder) stored as the topic's mapped camera — a payload
        cannot move its reads to another camera than its topic's mapping."""
        digest = hashlib.sha256(f"{topic}\x1f{json.dumps(body, sort_keys=True)}".encode())
        item_id = str(uuid.uuid5(_MESSAGE_NAMESPACE, digest.hexdigest()))
        frigate = topic not in self.camera_map and (
            topic.startswith("frigate/") or topic.endswith("/tracked_object_update"))
        if frigate:
            listed = body if isinstance(body, list) else [body]
            events = [e for e in listed if isinstance(e, dict)]
            if not events or len(events) != len(listed):
                return "a Frigate message that is not an event or a list of events"
            if not any(e.get("type") == "lpr" for e in events):
                return ""  # other Frigate event types: not reads, skipped quietly
            cameras = {self.camera_map.get(str(e.get("camera", ""))) for e in events}
            camera = cameras.pop() if len(cameras) == 1 else None
            query = f"?camera={quote(camera)}" if camera else ""
            return Route(FRIGATE_ENDPOINT + query, item_id)
        if not isinstance(body, dict) or "results" not in body:
            return "not OpenALPR results (no `results`)"
        camera = self.camera_map.get(topic) or topic.split("/")[0]
        return Route(f"{PLATE_MINDER_ENDPOINT}?camera={quote(camera)}", item_id)

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason: ReasonCode, properties: object) -> None:
        if reason.is_failure:
            self.stats.last_error = f"broker refused the connection: {reason}"
            return
        # Connected counts once the broker has acknowledged the subscriptions: before
        # that, a message published to the topics would not reach this bridge.
        _, self._subscribing = client.subscribe([(topic, 1) for topic in self.topics])

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                      reasons: list[ReasonCode], properties: object) -> None:
        if mid != self._subscribing:
            return
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            self.stats.last_error = f"broker refused the subscriptions: {', '.join(refused)}"
            return
        self.stats.connected = True
        log.info("connected to %s:%s, subscribed to %s", self.broker.host, self.broker.port,
                 ", ".join(self.topics))

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: object,
                       reason: ReasonCode, properties: object) -> None:
        self.stats.connected = False
        if reason.is_failure:
            self.stats.last_error = f"broker connection lost: {reason}; reconnecting"
            log.warning("broker connection lost (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        try:
            self._take(message)
        except Exception as exc:  # one message never stops the bridge: it is skipped
            self._skip(message.topic, f"could not be taken: {type(exc).__name__}: {exc}")
            log.exception("message on `%s` could not be taken", message.topic)

    def _skip(self, topic: str, why: str) -> None:
        self.stats.skipped += 1
        if why:
            self.stats.last_error = f"message on `{topic}` {why}"[:500]
            log.warning("skipped a message on `%s`: %s", topic, why)

    def _take(self, message: mqtt.MQTTMessage) -> None:
        try:
            text = message.payload.decode("utf-8")
            body = json.loads(text)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            self._skip(message.topic, f"is not JSON: {str(exc)[:200] or type(exc).__name__}")
            return
        route = self.route(message.topic, body)
        if isinstance(route, str):
            self._skip(message.topic, f"skipped: {route}" if route else "")
            return
        with self._lock:
            if self._spool is None:
                self._spool = Spool(self.spool_path, shared=True)
            if self._spool.put(route.item_id, text, endpoint=route.endpoint):
                self.stats.spooled += 1
