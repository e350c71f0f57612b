"""MQTT: alerts published to the list owner's topic on the local Mosquitto."""

from __future__ import annotations

import json
import os
import queue
import uuid
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from plateledger.hotlist import HitService, HotlistStore, MqttPublisher
from plateledger.network_loop import NetworkLoop
from tests.factories import make_read
from tests.hotlist.conftest import OAKLAND

pytestmark = pytest.mark.mqtt


def publish_one_alert(service: HitService, hotlists: HotlistStore) -> tuple[str, str, bytes]:
    """Start a publisher, raise one hit, and return the topic it was expected on and the
    topic and payload a subscriber received."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    publisher = MqttPublisher(topic_template=prefix + "/alerts/{agency_id}")
    received: queue.Queue[tuple[str, bytes]] = queue.Queue()
    subscribed = queue.Queue[int]()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)
    listener.on_message = lambda c, u, m: received.put((m.topic, bytes(m.payload)))
    listener.on_subscribe = lambda c, u, mid, codes, props: subscribed.put(mid)
    listener.connect("127.0.0.1", 1883)
    loop = NetworkLoop(listener, "test-listener")
    loop.start()
    try:
        listener.subscribe(f"{prefix}/alerts/#", qos=1)
        subscribed.get(timeout=30)
        assert publisher.start(timeout=30)
        service.sinks.append(publisher)
        hotlists.import_list(OAKLAND, "own", "local", "warrant", [{"plate": "7ABC123"}])
        service.process([make_read("7ABC123", owner=OAKLAND)])
        topic, payload = received.get(timeout=30)
    finally:
        publisher.stop()
        loop.stop()
    return f"{prefix}/alerts/{OAKLAND}", topic, payload


def test_an_alert_is_published_to_the_agency_topic(
    service: HitService, hotlists: HotlistStore
) -> None:
    expected, topic, payload = publish_one_alert(service, hotlists)
    assert topic == expected
    assert json.loads(payload)["plate_listed"] == "7ABC123"


@pytest.fixture
def crowded() -> Iterator[None]:
    """File descriptors up to about 1,100 taken, as in a server whose embedded ClickHouse
    runs many threads (a few descriptors each)."""
    taken = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        yield
    finally:
        for fd in taken:
            os.close(fd)


def test_alerts_are_published_when_the_process_holds_many_descriptors(
    service: HitService, hotlists: HotlistStore, crowded: None
) -> None:
    # select() cannot watch a descriptor numbered 1024 or more: paho's own loop_start
    # reported the connection lost forever and not one alert left.
    expected, topic, payload = publish_one_alert(service, hotlists)
    assert topic == expected
    assert json.loads(payload)["plate_listed"] == "7ABC123"


def test_a_topic_may_be_set_per_agency() -> None:
    publisher = MqttPublisher(topics={OAKLAND: "oakland/dispatch/alpr"})
    assert publisher.topic(OAKLAND) == "oakland/dispatch/alpr"
    assert publisher.topic(2) == "plateledger/alerts/2"


def test_a_topic_template_with_wildcards_is_refused() -> None:
    with pytest.raises(ValueError, match="must not hold wildcards"):
        MqttPublisher(topic_template="alerts/#")
