"""`NetworkLoop`: a paho MQTT client's network thread on `selectors`, not ``select()``.

paho's own ``loop_start`` waits with ``select.select``, which cannot watch a file
descriptor numbered 1024 or above: it fails and paho reports the connection lost, again
and again. A server process that runs the embedded ClickHouse holds hundreds of
descriptors (a few for each of its threads), so its MQTT socket lands above 1024 and alerts
silently stop. This loop drives the same client through paho's documented external-loop
calls (``loop_read``, ``loop_write``, ``loop_misc``) with the platform's selector (epoll
on Linux), which has no such limit, and reconnects with a doubling delay.
"""

from __future__ import annotations

import logging
import selectors
import threading

import paho.mqtt.client as mqtt

log = logging.getLogger("plateledger.mqtt")

POLL_SECONDS = 0.05
"""How long one wait lasts: also how soon a message published from another thread leaves
(paho's wake-up pipe belongs to its own loop)."""
RECONNECT_MIN = 0.5
RECONNECT_MAX = 30.0


class NetworkLoop:
    """Run ``client``'s network traffic on a daemon thread. Call `start` after
    ``connect_async`` (the thread makes the connection) and `stop` to disconnect."""

    def __init__(self, client: mqtt.Client, name: str = "mqtt") -> None:
        self._client = client
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"plateledger-{name}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread, which sends the disconnect and lets it leave (only the loop's
        thread closes the socket, so a wait never watches a closed one)."""
        if not self._thread.is_alive():
            self._client.disconnect()
            return
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        # The delay before each connection attempt but the first doubles until the
        # broker has accepted the client (its CONNACK), not merely the TCP connection: a
        # broker that refuses the login is asked again after 0.5, 1, 2 … 30 s, never in
        # a tight loop.
        delay, first = RECONNECT_MIN, True
        with selectors.DefaultSelector() as selector:
            while not self._stopping.is_set():
                sock = self._client.socket()
                if sock is None:
                    if not first:
                        self._stopping.wait(delay)
                        delay = min(delay * 2, RECONNECT_MAX)
                    first = False
                    if not self._stopping.is_set():
                        self._connect()
                    continue
                if self._client.is_connected():
                    delay = RECONNECT_MIN
                try:
                    self._turn(selector, sock)
                except (OSError, ValueError) as exc:
                    # The socket closed under the wait (a publish from another thread
                    # found the connection lost): paho has noted it; reconnect next turn.
                    log.debug("mqtt socket closed during a wait: %s", exc)
            self._client.disconnect()
            self._flush()

    def _connect(self) -> bool:
        try:
            return self._client.reconnect() == mqtt.MQTT_ERR_SUCCESS
        except (OSError, ValueError) as exc:
            log.debug("mqtt connection failed: %s", exc)
            return False

    def _turn(self, selector: selectors.BaseSelector, sock: object) -> None:
        """One wait on the socket, then whatever it is ready for."""
        events = selectors.EVENT_READ
        if self._client.want_write():
            events |= selectors.EVENT_WRITE
        selector.register(sock, events)  # type: ignore[arg-type]
        try:
            ready = selector.select(POLL_SECONDS)
        finally:
            selector.unregister(sock)  # type: ignore[arg-type]
        for _, mask in ready:
            if mask & selectors.EVENT_READ:
                self._client.loop_read()
            if mask & selectors.EVENT_WRITE and self._client.socket() is not None:
                self._client.loop_write()
        if self._client.socket() is not None:
            self._client.loop_misc()

    def _flush(self) -> None:
        """Write what is queued (the disconnect) before the thread ends."""
        for _ in range(10):
            if self._client.socket() is None or not self._client.want_write():
                return
            self._client.loop_write()
