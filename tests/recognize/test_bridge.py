"""The MQTT bridge spools Frigate and Plate Minder messages for the server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from plateledger.network_loop import NetworkLoop
from plateledger.recognize.bridge import Broker, MqttBridge
from plateledger.recognize.sender import ReadSender
from plateledger.recognize.spool import Spool
from tests.recognize.conftest import Intake, Mosquitto

FRIGATE = json.dumps({"type": "lpr", "id": "1732449712.394712-k3j9xq", "name": None,
                      "plate": "5KLM302", "score": 0.93, "camera": "driveway_cam",
                      "timestamp": 1732449712.51})
PLATE_MINDER = json.dumps({"epoch_time": 1732449800412, "results": [
    {"plate": "4FGH771", "confidence": 87.6, "region": "ca", "region_confidence": 70}]})

pytestmark = pytest.mark.mqtt


def publish_one(port: int, topic: str, payload: str, timeout: float = 20.0) -> None:
    """Publish one message at QoS 1 and wait for the broker's acknowledgement, for at most
    ``timeout`` seconds (paho's ``publish.single`` retries a lost broker forever)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", port)
    loop = NetworkLoop(client, "test-publisher")
    loop.start()
    try:
        info = client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout)
        assert info.is_published(), f"the broker did not acknowledge {topic} in {timeout} s"
    finally:
        loop.stop()


def wait_for(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def bridge(broker: Mosquitto, spool: Path) -> MqttBridge:
    b = MqttBridge(Broker("127.0.0.1", broker.port), ["frigate/tracked_object_update",
                                                      "plate-minder/detect"], spool,
                   camera_map={"driveway_cam": "cam-12", "plate-minder/detect": "gate"})
    b.start()
    assert wait_for(lambda: b.stats.connected)
    return b


def test_messages_are_spooled_for_their_endpoints(mosquitto: Mosquitto, tmp_path: Path) -> None:
    b = bridge(mosquitto, tmp_path / "spool.db")
    try:
        publish_one(mosquitto.port, "frigate/tracked_object_update", FRIGATE)
        publish_one(mosquitto.port, "plate-minder/detect", PLATE_MINDER)
        assert wait_for(lambda: b.stats.spooled == 2)
    finally:
        b.stop()
    with Spool(tmp_path / "spool.db") as spool:
        first, = spool.next_batch(10)
        assert (first.endpoint, first.body) == ("/v1/reads/frigate?camera=cam-12", FRIGATE)
        spool.ack([first.seq])
        second, = spool.next_batch(10)
        assert second.endpoint == "/v1/reads/plate_minder?camera=gate"


def test_a_message_that_is_not_json_is_skipped_and_the_bridge_goes_on(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    b = bridge(mosquitto, tmp_path / "spool.db")
    try:
        for payload in (b"\xff\xfe garbage", b"{not json", FRIGATE.encode()):
            publish_one(mosquitto.port, "frigate/tracked_object_update", payload)
        assert wait_for(lambda: b.stats.spooled == 1 and b.stats.skipped == 2)
        assert "is not JSON" in b.stats.last_error
    finally:
        b.stop()


def test_events_other_than_lpr_are_not_forwarded(mosquitto: Mosquitto, tmp_path: Path) -> None:
    b = bridge(mosquitto, tmp_path / "spool.db")
    try:
        face = json.dumps({"type": "face", "id": "x", "camera": "driveway_cam"})
        publish_one(mosquitto.port, "frigate/tracked_object_update", face)
        assert wait_for(lambda: b.stats.skipped == 1)
        assert b.stats.spooled == 0
    finally:
        b.stop()


def test_the_bridge_reconnects_when_the_broker_restarts(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    b = bridge(mosquitto, tmp_path / "spool.db")
    try:
        publish_one(mosquitto.port, "frigate/tracked_object_update", FRIGATE)
        assert wait_for(lambda: b.stats.spooled == 1)
        mosquitto.stop()
        assert wait_for(lambda: not b.stats.connected)
        mosquitto.start()
        assert wait_for(lambda: b.stats.connected, timeout=40)
        publish_one(mosquitto.port, "plate-minder/detect", PLATE_MINDER)
        assert wait_for(lambda: b.stats.spooled == 2)
    finally:
        b.stop()


def test_spooled_messages_reach_the_server_as_raw_bodies(
    mosquitto: Mosquitto, intake: Intake, tmp_path: Path
) -> None:
    b = bridge(mosquitto, tmp_path / "spool.db")
    try:
        publish_one(mosquitto.port, "frigate/tracked_object_update", FRIGATE)
        assert wait_for(lambda: b.stats.spooled == 1)
    finally:
        b.stop()
    sender = ReadSender(intake.url, "k")
    with Spool(tmp_path / "spool.db") as spool:
        assert sender.drain(spool)
        assert spool.backlog() == 0
    assert [(path, body.decode()) for path, _, body in intake.requests] == [
        ("/v1/reads/frigate?camera=cam-12", FRIGATE)
    ]
