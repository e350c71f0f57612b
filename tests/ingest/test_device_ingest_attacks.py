"""Attacks on the camera-side ingest paths that are not plain HTTP posts: the MQTT bridge
(`plateledger mqtt`: Frigate and Plate Minder messages, spooled, then posted with the
bridge's key), the recognition agent's sender (spool → `POST /v1/reads`), and camera
aliases and mappings.

The promises (docs/recognition.md, docs/formats.md, DESIGN.md):

* every read has an owner agency that comes from the credential that sent it, never from
  the payload, a topic or an alias; an alias maps only to the agency's own cameras;
* a Plate Minder topic's messages are stored as the camera ``--camera-map`` names for it;
* a bridge message that is not JSON is logged and skipped and the bridge goes on; a
  message redelivered by the broker is spooled once; once spooled, messages survive a
  server outage and a restart of the bridge;
* the agent's spool deletes items only when the server acknowledged them; 401/403, 408,
  429, 5xx and connection errors keep everything; a refused item goes to the dead table
  with the server's message; a read re-sent after a lost answer is not stored twice.

Real components: a private Mosquitto broker per test, the real app (`create_app`) served
by uvicorn in this process over the SQLite catalog and the session's chDB store, the real
bridge, spool and sender. Where a test needs a server that misbehaves (a redirect, a page
that is not the server's answer, a slow answer) it is a small HTTP server in front of the
real one. Every test uses plates of its own (the store is shared by the session).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import uvicorn

from plateledger.api.app import create_app
from plateledger.network_loop import NetworkLoop
from plateledger.read import derive_read_id
from plateledger.recognize.bridge import Broker, MqttBridge
from plateledger.recognize.sender import ReadSender, SenderThread
from plateledger.recognize.spool import Spool
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, seed, settings  # noqa: F401  (fixtures by name)
from tests.api.test_ingest_between_agencies import (  # noqa: F401  (fixture used by name)
    A_CAM,
    A_CAM_2,
    B_CAM,
    unique_plate,
    world,
)
from tests.recognize.conftest import (  # noqa: F401  (fixture used by name)
    Mosquitto,
    _mosquitto,
    free_port,
    mosquitto,
    wait_until,
)

pytestmark = pytest.mark.mqtt

FRIGATE_TOPIC = "frigate/tracked_object_update"
MINDER_TOPIC = "plate-minder/detect"
TOPICS = [FRIGATE_TOPIC, MINDER_TOPIC]
WAIT = 60.0

# -- the real server, in this process --------------------------------------------------------


class Server:
    """The whole app (`create_app`) served by uvicorn on a thread, its lifespan run."""

    def __init__(self, config: Settings, port: int | None = None) -> None:
        self.app = create_app(config)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        assert wait_until(lambda: self._server.started or not self._thread.is_alive(), 120)
        assert self._server.started, "the server did not start"

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=60)
            self._server = self._thread = None

    def rows(self, plate: str) -> list[dict[str, Any]]:
        store = self.app.state.store
        rows = store.query(
            "SELECT owner_id, camera_id, plate, toString(read_id) AS read_id FROM {db}.reads "
            "WHERE plate = {plate:String}",
            {"plate": plate},
        )
        return list(rows.to_pylist())

    def admin(self, username: str) -> dict[str, str]:
        answer = httpx.post(f"{self.url}/v1/auth/token", timeout=30,
                            json={"username": username, "password": PASSWORD, "totp": None})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def alias(self, admin: str, name: str, camera: str) -> httpx.Response:
        return httpx.post(f"{self.url}/v1/admin/camera-aliases", headers=self.admin(admin),
                          timeout=30, json={"source_format": "frigate", "external_key": name,
                                            "camera_id": camera})


@pytest.fixture
def keys(world: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """The credentials of tests/api/test_ingest_between_agencies.py's world."""
    return world


@pytest.fixture
def app_settings(settings: Settings, keys: dict[str, str]) -> Settings:  # noqa: F811
    """The seeded catalog's settings, its world (cameras, keys) in place."""
    return settings


@pytest.fixture
def broker(mosquitto: Mosquitto) -> Mosquitto:  # noqa: F811
    """A private Mosquitto broker (no retained message of another test's)."""
    return mosquitto


@pytest.fixture
def server(app_settings: Settings) -> Iterator[Server]:
    running = Server(app_settings)
    running.start()
    yield running
    running.stop()


class Stub:
    """A small HTTP server of someone else's (a proxy, a moved site) in front of the real
    one: ``answer(handler, body)`` writes each POST's answer."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, bytes], None]) -> None:
        self.requests = 0

        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.requests += 1
                answer(self, body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def forward(real: Server, handler: BaseHTTPRequestHandler, body: bytes) -> httpx.Response:
    """Pass a POST on to the real server, as a reverse proxy would."""
    return httpx.post(real.url + handler.path, content=body, timeout=60, headers={
        "X-API-Key": handler.headers.get("X-API-Key", ""),
        "Content-Type": handler.headers.get("Content-Type", "application/json")})


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes,
          content_type: str = "application/json", **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


# -- MQTT helpers ----------------------------------------------------------------------------


def publish(port: int, topic: str, payload: str | bytes, *, retain: bool = False) -> None:
    """Publish one message at QoS 1, anonymously, and wait for the broker's acknowledgement."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", port)
    loop = NetworkLoop(client, "attacker")
    loop.start()
    try:
        info = client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(30)
        assert info.is_published(), f"the broker did not acknowledge {topic}"
    finally:
        loop.stop()


def frigate(plate: str, camera: str, **extra: Any) -> str:
    return json.dumps({"type": "lpr", "id": f"{time.time():.6f}-{uuid.uuid4().hex[:6]}",
                       "name": None, "plate": plate, "score": 0.93, "camera": camera,
                       "timestamp": time.time() - 5, **extra})


def minder(*plates: str) -> str:
    return json.dumps({"epoch_time": int((time.time() - 5) * 1000), "results": [
        {"plate": p, "confidence": 87.6, "region": "ca", "region_confidence": 70}
        for p in plates]})


@contextmanager
def bridge(broker: Mosquitto, spool: Path, server_url: str, key: str,
           camera_map: dict[str, str] | None = None,
           ) -> Iterator[tuple[MqttBridge, ReadSender]]:
    """The bridge and its sender, as `plateledger mqtt` runs them; both stopped after."""
    Spool(spool).close()
    running = MqttBridge(Broker("127.0.0.1", broker.port), TOPICS, spool,
                         camera_map={MINDER_TOPIC: A_CAM} if camera_map is None else camera_map)
    sender = ReadSender(server_url, key)
    thread = SenderThread(spool, sender, interval=0.1)
    running.start()
    thread.start()
    try:
        assert wait_until(lambda: running.stats.connected, 30), running.stats.last_error
        yield running, sender
    finally:
        running.stop()
        thread.stop()
        sender.close()


def settled(sender: ReadSender, count: int) -> bool:
    """Wait until ``count`` items were acknowledged or dead-lettered."""
    return wait_until(lambda: sender.stats.sent + sender.stats.dead >= count, WAIT)


def through_bridge(broker: Mosquitto, spool: Path, server: Server, key: str, topic: str,
                   *payloads: str, camera_map: dict[str, str] | None = None) -> ReadSender:
    """Run the bridge with ``key`` (`bridge`), publish ``payloads`` on ``topic`` and wait
    until its sender has settled one item for each (acknowledged or dead-lettered); the
    bridge is stopped before this returns. Its sender, for its stats."""
    with bridge(broker, spool, server.url, key, camera_map) as (_, sender):
        for payload in payloads:
            publish(broker.port, topic, payload)
        assert settled(sender, len(payloads)), sender.stats.last_error
    return sender


def dead(spool: Path) -> list[str]:
    with Spool(spool) as s:
        return [d.error for d in s.dead_items()]


def backlog(spool: Path) -> int:
    with Spool(spool) as s:
        return s.backlog()


# -- who a message is stored as --------------------------------------------------------------


def test_a_bridge_can_authenticate_to_a_broker_that_refuses_anonymous_clients(
    tmp_path: Path,
) -> None:
    """Promise: an MQTT message reaches the store only from a device the broker knows.
    Attack: none needed — the bridge has no way to give the broker a user name, a password
    or TLS (`Broker` keeps host and port only, the credentials in `mqtt://user:pw@host`
    are dropped), so a deployment must run an anonymous broker, where anyone on the
    network may publish reads under the bridge's key."""
    port = free_port()
    # mosquitto reads its password file as its own user: a folder it may enter
    conf = Path(tempfile.mkdtemp(prefix="plateledger-broker-"))
    conf.chmod(0o755)
    (conf / "passwd").write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(conf / "passwd"), "bridge", "s3cret"],
                   check=True, capture_output=True)
    (conf / "passwd").chmod(0o644)
    (conf / "auth.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {conf / 'passwd'}\n")
    process = subprocess.Popen([_mosquitto(), "-c", str(conf / "auth.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    running: MqttBridge | None = None
    try:
        assert wait_until(lambda: _listening(port), 20)
        running = MqttBridge(Broker.parse(f"mqtt://bridge:s3cret@127.0.0.1:{port}"), TOPICS,
                             tmp_path / "spool.db")
        running.start()
        assert wait_until(lambda: running.stats.connected, 20), running.stats.last_error
        refused = MqttBridge(Broker.parse(f"mqtt://bridge:wrong@127.0.0.1:{port}"), TOPICS,
                             tmp_path / "other.db")
        refused.start()
        try:  # a wrong password is refused, and the bridge says so
            assert wait_until(lambda: "refused" in refused.stats.last_error
                              or "lost" in refused.stats.last_error, 20)
            assert not refused.stats.connected
        finally:
            refused.stop()
    finally:
        if running is not None:
            running.stop()
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(conf, ignore_errors=True)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def test_an_anonymous_publishers_read_is_stored_only_as_the_bridge_agencys(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Promise: the owner comes from the key, never the payload. Attack: an anonymous
    client on the broker publishes a Frigate event; it is stored (the message itself is
    not authenticated) but only as Union City's, the bridge key's agency."""
    plate = unique_plate("AN")
    through_bridge(broker, tmp_path / "spool.db", server, keys["a_key"], FRIGATE_TOPIC,
                   frigate(plate, A_CAM))
    assert wait_until(lambda: server.rows(plate), WAIT)
    assert [(r["owner_id"], r["camera_id"]) for r in server.rows(plate)] == [
        (_agency(server, A_CAM), A_CAM)]


def _agency(server: Server, camera: str) -> int:
    from plateledger.catalog import open_catalog

    catalog = open_catalog(server.app.state.settings)
    try:
        found = catalog.camera(camera)
        assert found is not None
        return int(found.owner_id)
    finally:
        catalog.close()


def test_a_frigate_event_naming_another_agencys_camera_is_refused_with_a_reason(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: a publisher on Union City's broker names Fremont's camera in the event.
    Promise: nothing is stored as Fremont's (nor as anyone's); the item is dead-lettered
    with the server's reason, not lost without one."""
    plate = unique_plate("XB")
    spool = tmp_path / "spool.db"
    through_bridge(broker, spool, server, keys["a_key"], FRIGATE_TOPIC, frigate(plate, B_CAM))
    assert server.rows(plate) == []
    assert any("unknown camera" in e for e in dead(spool)), dead(spool)


def test_a_camera_map_onto_another_agencys_camera_is_refused(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: the bridge's operator maps a Frigate camera to Fremont's camera id
    (``--camera-map driveway=fpd-…``: the bridge then posts ``?camera=`` with Union City's
    key). Promise: the read is not stored as Fremont's; refused with a reason."""
    plate = unique_plate("CM")
    spool = tmp_path / "spool.db"
    through_bridge(broker, spool, server, keys["a_key"], FRIGATE_TOPIC,
                   frigate(plate, "driveway"), camera_map={"driveway": B_CAM})
    assert server.rows(plate) == []
    assert any("unknown camera" in e for e in dead(spool)), dead(spool)


def test_another_agencys_alias_never_maps_a_bridge_message(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: Fremont's admin aliases the Frigate name ``gate_cam`` to Fremont's camera;
    Union City's bridge forwards an event from a camera named ``gate_cam``. Promise: an
    alias is the agency's own: the read is not stored as Fremont's."""
    assert server.alias("fpd-admin", "gate_cam", B_CAM).status_code == 201
    plate = unique_plate("AL")
    spool = tmp_path / "spool.db"
    through_bridge(broker, spool, server, keys["a_key"], FRIGATE_TOPIC,
                   frigate(plate, "gate_cam"))
    assert server.rows(plate) == []
    assert any("unknown camera 'gate_cam'" in e for e in dead(spool)), dead(spool)


def test_an_admin_cannot_alias_a_name_to_another_agencys_camera(server: Server) -> None:
    """Attack: Union City's admin maps the Frigate name ``porch`` onto Fremont's camera,
    so that its bridge's reads would land there. Promise: refused; no alias is made."""
    answer = server.alias("ucpd-admin", "porch", B_CAM)
    assert answer.status_code in (403, 404, 422), answer.text
    listed = httpx.get(f"{server.url}/v1/admin/camera-aliases",
                       headers=server.admin("ucpd-admin"), timeout=30).json()
    assert all(a["camera_id"] != B_CAM for a in listed)


def test_the_agencys_own_alias_maps_a_bridge_message_to_its_camera(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Control: Union City's alias ``porch`` → its second camera applies to its bridge's
    Frigate events: stored once, as that camera, owned by Union City."""
    assert server.alias("ucpd-admin", "porch", A_CAM_2).status_code == 201
    plate = unique_plate("OW")
    through_bridge(broker, tmp_path / "spool.db", server, keys["a_key"], FRIGATE_TOPIC,
                   frigate(plate, "porch"))
    assert wait_until(lambda: server.rows(plate), WAIT)
    assert [r["camera_id"] for r in server.rows(plate)] == [A_CAM_2]


def test_a_camera_key_bridge_cannot_store_another_cameras_reads(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: a bridge runs with a key limited to one camera; a publisher names the
    agency's other camera in the event. Promise: the key's camera limit holds."""
    plate = unique_plate("CK")
    spool = tmp_path / "spool.db"
    through_bridge(broker, spool, server, keys["a_cam_key"], FRIGATE_TOPIC,
                   frigate(plate, A_CAM_2))
    assert server.rows(plate) == []
    assert any("may only send reads of camera" in e for e in dead(spool)), dead(spool)


def test_a_plate_minder_topics_camera_map_cannot_be_overridden_by_the_payload(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Promise: a Plate Minder topic's messages are stored as the camera ``--camera-map``
    names for the topic (here ``plate-minder/detect`` → the first camera). Attack: a
    device that may publish only on that topic adds ``"type": "lpr"`` and ``"camera"`` to
    its message, naming the agency's other camera."""
    plate = unique_plate("PM")
    body = json.loads(frigate(plate, A_CAM_2))
    body.update(json.loads(minder(plate)))
    through_bridge(broker, tmp_path / "spool.db", server, keys["a_key"], MINDER_TOPIC,
                   json.dumps(body))
    assert wait_until(lambda: server.rows(plate), WAIT)
    assert {r["camera_id"] for r in server.rows(plate)} == {A_CAM}


def test_a_plate_minder_message_is_stored_as_its_topics_mapped_camera(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Control: a plain Plate Minder message on the mapped topic is stored once, as the
    mapped camera, whatever else it carries."""
    plate = unique_plate("PC")
    through_bridge(broker, tmp_path / "spool.db", server, keys["a_key"], MINDER_TOPIC,
                   minder(plate))
    assert wait_until(lambda: server.rows(plate), WAIT)
    assert [r["camera_id"] for r in server.rows(plate)] == [A_CAM]


# -- malformed, huge, repeated and missed messages -------------------------------------------


def test_binary_and_non_utf8_payloads_are_skipped_with_a_reason_and_the_bridge_goes_on(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: a camera publishes a JPEG frame, bytes that are not UTF-8, and a cut-off
    JSON on the Frigate topic. Promise: each is skipped with the reason recorded, and the
    next valid event is stored, once."""
    plate = unique_plate("BI")
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
    with bridge(broker, tmp_path / "spool.db", server.url, keys["a_key"]) as (b, sender):
        for payload in (jpeg, b"{\"type\": \"lpr\", \"plate\": \"\xe9\xff\"}", b'{"type": "lp'):
            publish(broker.port, FRIGATE_TOPIC, payload)
        assert wait_until(lambda: b.stats.skipped == 3, WAIT)
        assert "is not JSON" in b.stats.last_error
        publish(broker.port, FRIGATE_TOPIC, frigate(plate, A_CAM))
        assert settled(sender, 1)
    assert wait_until(lambda: server.rows(plate), WAIT)
    assert len(server.rows(plate)) == 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_deeply_nested_payload_does_not_stop_the_bridge(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: one message of 100,000 nested arrays (200 kB). Promise: it is skipped with
    a reason and the bridge keeps taking later messages."""
    plate = unique_plate("DN")
    deep = "[" * 100_000 + "]" * 100_000
    with bridge(broker, tmp_path / "spool.db", server.url, keys["a_key"]) as (b, sender):
        publish(broker.port, FRIGATE_TOPIC, deep)
        assert wait_until(lambda: b.stats.received >= 1, WAIT)
        publish(broker.port, FRIGATE_TOPIC, frigate(plate, A_CAM))
        assert wait_until(lambda: b.stats.received >= 2, 20)
        assert settled(sender, 1)
    assert len(server.rows(plate)) == 1


def test_an_array_of_frigate_events_is_stored_or_refused_with_a_reason(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Promise: each message is spooled or skipped with its reason (formats.md: the
    Frigate adapter takes an object or an array of them). Attack: a publisher sends two
    LPR events as one JSON array."""
    plates = [unique_plate("AR"), unique_plate("AR")]
    body = "[" + ",".join(frigate(p, A_CAM) for p in plates) + "]"
    with bridge(broker, tmp_path / "spool.db", server.url, keys["a_key"]) as (b, _):
        publish(broker.port, FRIGATE_TOPIC, body)
        assert wait_until(lambda: b.stats.received == 1, WAIT)
        assert wait_until(lambda: b.stats.spooled == 1 or b.stats.last_error, 10), (
            "the message vanished: neither spooled nor skipped with a reason")


def test_json_the_server_cannot_read_is_dead_lettered_with_its_reason(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: messages Python's JSON accepts but JSON does not (``NaN``, a lone
    surrogate escape ``\\ud800`` as the plate). Promise: the server refuses each with a
    reason that the bridge keeps in its dead table; nothing is stored; the next message
    still goes through (no head-of-line block)."""
    plate = unique_plate("NA")
    spool = tmp_path / "spool.db"
    through_bridge(broker, spool, server, keys["a_key"], FRIGATE_TOPIC,
                   frigate(unique_plate("NA"), A_CAM, score=float("nan")),
                   frigate("PLACEHOLDER", A_CAM).replace("PLACEHOLDER", "\\ud800"),
                   frigate(plate, A_CAM))
    errors = dead(spool)
    assert len(errors) == 2 and all(errors), errors
    assert wait_until(lambda: server.rows(plate), WAIT)
    assert backlog(spool) == 0


@pytest.mark.slow
def test_a_huge_message_is_refused_with_a_reason_and_does_not_block_the_next(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: a 17 MiB Frigate event (over the server's 16 MiB body limit). Promise: it
    is refused (413) and dead-lettered with the reason, not retried for ever in front of
    the messages behind it; the next event is stored once."""
    plate = unique_plate("HG")
    spool = tmp_path / "spool.db"
    huge = frigate(unique_plate("HG"), A_CAM, padding="x" * (17 * 1024 * 1024))
    through_bridge(broker, spool, server, keys["a_key"], FRIGATE_TOPIC, huge,
                   frigate(plate, A_CAM))
    assert any("413" in e for e in dead(spool)), dead(spool)
    assert wait_until(lambda: server.rows(plate), WAIT)
    assert len(server.rows(plate)) == 1


def test_a_retained_message_is_stored_once_across_bridge_restarts(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack (or a careless camera): a retained Frigate event, handed to the bridge on
    every (re)connect. Promise: it is stored once, however often the bridge restarts."""
    plate = unique_plate("RT")
    spool = tmp_path / "spool.db"
    publish(broker.port, FRIGATE_TOPIC, frigate(plate, A_CAM), retain=True)
    for _ in range(3):
        with bridge(broker, spool, server.url, keys["a_key"]) as (b, sender):
            assert wait_until(lambda b=b: b.stats.received == 1, WAIT)
            assert settled(sender, 1)
        assert wait_until(lambda: server.rows(plate), WAIT)
    assert len(server.rows(plate)) == 1
    assert backlog(spool) == 0 and dead(spool) == []


def test_a_redelivered_message_is_stored_once(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: the same QoS 1 message delivered again — before the first copy was sent
    (the spool's id) and after it was (the server's read id). Promise: stored once."""
    plate = unique_plate("RD")
    event = frigate(plate, A_CAM)
    with bridge(broker, tmp_path / "spool.db", server.url, keys["a_key"]) as (b, sender):
        publish(broker.port, FRIGATE_TOPIC, event)
        publish(broker.port, FRIGATE_TOPIC, event)
        assert wait_until(lambda: b.stats.received == 2, WAIT)
        assert settled(sender, 1)
        publish(broker.port, FRIGATE_TOPIC, event)
        assert settled(sender, 2)
    assert wait_until(lambda: server.rows(plate), WAIT)
    assert len(server.rows(plate)) == 1


def test_a_message_published_while_the_bridge_restarts_is_not_lost(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Promise: the bridge subscribes at QoS 1 and spooled messages survive its restart.
    Attack (an ordinary restart, an upgrade): a camera publishes at QoS 1 while the bridge
    is down; the broker has accepted the message."""
    plate = unique_plate("RS")
    spool = tmp_path / "spool.db"
    with bridge(broker, spool, server.url, keys["a_key"]):
        pass
    publish(broker.port, FRIGATE_TOPIC, frigate(plate, A_CAM))
    with bridge(broker, spool, server.url, keys["a_key"]) as (b, sender):
        assert wait_until(lambda: b.stats.received == 1, 20)
        assert settled(sender, 1)
    assert len(server.rows(plate)) == 1


def test_a_refused_read_inside_a_partly_accepted_message_keeps_its_reason(
    broker: Mosquitto, server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Promise: items the server names in ``errors`` go to the dead table with its
    message. Attack: a Plate Minder message with one good result and one whose plate is
    not a plate; the good one is stored, the refused one must leave a trace."""
    good = unique_plate("PE")
    spool = tmp_path / "spool.db"
    sender = through_bridge(broker, spool, server, keys["a_key"], MINDER_TOPIC,
                            minder(good, "!!!!"))
    assert wait_until(lambda: server.rows(good), WAIT)
    assert dead(spool) or sender.stats.last_error, "the refused read left no trace"


# -- the agent's sender ----------------------------------------------------------------------


def native(plate: str, camera: str = A_CAM, *, minutes_ago: float = 1.0) -> tuple[str, str]:
    """A read as the agent spools it: its id (derived from camera, time and plate) and
    its native JSON."""
    ts = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    read_id = derive_read_id(camera, ts, plate)
    return str(read_id), json.dumps({"read_id": str(read_id), "camera_id": camera,
                                     "ts": ts.isoformat(), "plate": plate,
                                     "confidence": 0.91, "candidates": [], "images": {}},
                                    separators=(",", ":"))


@contextmanager
def agent_sender(spool: Path, url: str, key: str, items: list[tuple[str, str]],
                 timeout: float = 10.0) -> Iterator[ReadSender]:
    """The agent's spool holding ``items`` and its sender thread delivering them."""
    with Spool(spool) as s:
        for item_id, body in items:
            assert s.put(item_id, body)
    sender = ReadSender(url, key, timeout=timeout)
    thread = SenderThread(spool, sender, interval=0.1)
    thread.start()
    try:
        yield sender
    finally:
        thread.stop()
        sender.close()


def test_a_batch_with_a_refused_read_stores_the_rest_once_and_dead_letters_it(
    server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: the agent's batch holds a read naming Fremont's camera among good ones.
    Promise: the good reads are stored once, as Union City's; the bad one is
    dead-lettered with the server's reason; nothing is left to loop."""
    plates = [unique_plate("BA") for _ in range(3)]
    items = [native(plates[0]), native(plates[1], B_CAM), native(plates[2])]
    spool = tmp_path / "agent.db"
    with agent_sender(spool, server.url, keys["a_key"], items) as sender:
        assert settled(sender, 3)
    assert all(wait_until(lambda p=p: server.rows(p), WAIT) for p in (plates[0], plates[2]))
    assert [len(server.rows(p)) for p in plates] == [1, 0, 1]
    errors = dead(spool)
    assert len(errors) == 1 and "unknown camera" in errors[0], errors
    assert backlog(spool) == 0


def test_a_batch_refused_whole_is_dead_lettered_item_by_item_and_later_reads_go_on(
    server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: every read of a batch is refused (422: another agency's camera, a read
    older than retention). Promise: each is dead-lettered with its reason (not retried for
    ever, not dropped without one), and a good read spooled after them is stored once."""
    spool = tmp_path / "agent.db"
    good = unique_plate("GO")
    items = [native(unique_plate("RF"), B_CAM), native(unique_plate("RF"), minutes_ago=1e6)]
    with agent_sender(spool, server.url, keys["a_key"], items) as sender:
        assert settled(sender, 2)
        with Spool(spool) as s:
            s.put(*native(good))
        assert settled(sender, 3)
    errors = dead(spool)
    assert len(errors) == 2 and all(errors), errors
    assert wait_until(lambda: server.rows(good), WAIT)
    assert len(server.rows(good)) == 1


def test_a_refused_key_keeps_every_read(
    server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: the key is wrong or revoked (401). Promise: nothing is the reads' fault:
    all stay in the spool, none is dead-lettered or stored."""
    plate = unique_plate("KY")
    spool = tmp_path / "agent.db"
    with agent_sender(spool, server.url, "plk_not_a_key", [native(plate)]) as sender:
        assert wait_until(lambda: sender.stats.failures >= 1, WAIT)
        assert "401" in sender.stats.last_error
    assert backlog(spool) == 1 and dead(spool) == []
    assert server.rows(plate) == []


def test_reads_spooled_while_the_server_is_down_are_sent_once_when_it_is_up(
    app_settings: Settings, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: the server is down (connection refused) when the agent has reads. Promise:
    they are kept, and stored once each when the server comes up."""
    plates = [unique_plate("DW") for _ in range(3)]
    spool = tmp_path / "agent.db"
    later = Server(app_settings)
    try:
        with agent_sender(spool, later.url, keys["a_key"],
                          [native(p) for p in plates]) as sender:
            assert wait_until(lambda: sender.stats.failures >= 1, WAIT)
            assert "unreachable" in sender.stats.last_error
            assert backlog(spool) == 3
            later.start()
            assert wait_until(lambda: sender.stats.sent == 3, 120), sender.stats.last_error
        assert all(wait_until(lambda p=p: later.rows(p), WAIT) for p in plates)
        assert [len(later.rows(p)) for p in plates] == [1, 1, 1]
        assert dead(spool) == []
    finally:
        later.stop()


def test_a_batch_resent_after_a_slow_answer_is_stored_once(
    server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: the server stores the batch but answers after the agent gave up waiting
    (a slow proxy). Promise: the agent resends (it never saw an acknowledgement) and the
    server stores each read once."""
    plates = [unique_plate("SL") for _ in range(2)]
    spool = tmp_path / "agent.db"
    sender_box: list[ReadSender] = []

    def slow(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        answer = forward(server, handler, body)
        if proxy.requests == 1:  # hold the first answer until the agent has given up
            wait_until(lambda: sender_box and sender_box[0].stats.failures >= 1, WAIT)
        with suppress(OSError):  # the agent may have hung up
            reply(handler, answer.status_code, answer.content)

    proxy = Stub(slow)
    try:
        with agent_sender(spool, proxy.url, keys["a_key"], [native(p) for p in plates],
                          timeout=2.0) as sender:
            sender_box.append(sender)
            assert wait_until(lambda: sender.stats.sent == 2, WAIT), sender.stats.last_error
            assert sender.stats.failures >= 1
    finally:
        proxy.stop()
    assert [len(server.rows(p)) for p in plates] == [1, 1]
    assert backlog(spool) == 0 and dead(spool) == []


def test_a_redirect_does_not_dead_letter_the_reads(
    server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Promise: reads are kept until the server acknowledges them; only the server's
    refusal of an item dead-letters it. Attack: the agent's ``--server`` answers with a
    permanent redirect (http → https, a moved host: 308 to the real server)."""
    plate = unique_plate("RE")
    spool = tmp_path / "agent.db"

    def moved(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        reply(handler, 308, b"", Location=server.url + handler.path)

    proxy = Stub(moved)
    try:
        with agent_sender(spool, proxy.url, keys["a_key"], [native(plate)]) as sender:
            assert wait_until(lambda: proxy.requests >= 1 and (
                sender.stats.sent + sender.stats.dead + sender.stats.failures) >= 1, WAIT)
    finally:
        proxy.stop()
    assert dead(spool) == [], dead(spool)


def test_a_200_that_is_not_the_servers_answer_does_not_delete_the_reads(
    server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Promise: items are deleted only when the server acknowledged them. Attack: what
    answers the agent's ``--server`` is a proxy's or a web app's page (200, HTML, no
    ``accepted``): a captive portal, a single-page app's catch-all route."""
    plate = unique_plate("HT")
    spool = tmp_path / "agent.db"

    def page(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        reply(handler, 200, b"<html><body>Sign in to continue</body></html>", "text/html")

    proxy = Stub(page)
    try:
        with agent_sender(spool, proxy.url, keys["a_key"], [native(plate)]) as sender:
            assert wait_until(lambda: proxy.requests >= 1 and (
                sender.stats.sent + sender.stats.dead + sender.stats.failures) >= 1, WAIT)
    finally:
        proxy.stop()
    assert server.rows(plate) or backlog(spool) == 1, "the read was deleted and never stored"


def test_a_read_id_conflict_is_dead_lettered_and_the_stored_read_kept(
    server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: the agent (reprocessed footage, a clock jump) sends a read id already
    stored with another plate. Promise: the stored read stays as it was; the new version
    is dead-lettered with the conflict as its reason; not stored twice."""
    first = unique_plate("CF")
    read_id, body = native(first)
    other = body.replace(first, unique_plate("CG"))
    spool = tmp_path / "agent.db"
    with agent_sender(spool, server.url, keys["a_key"], [(read_id, body)]) as sender:
        assert settled(sender, 1)
        with Spool(spool) as s:
            assert s.put(read_id + "-again", other)
        assert settled(sender, 2)
    errors = dead(spool)
    assert len(errors) == 1, errors
    assert "conflict" in errors[0].lower() or "already stored" in errors[0], errors
    assert len(server.rows(first)) == 1


def test_an_agent_read_claiming_another_agencys_read_id_is_stored_as_its_own(
    server: Server, keys: dict[str, str], tmp_path: Path,
) -> None:
    """Attack: Union City's agent sends a read under the id Fremont's camera's read has
    (derived ids are guessable). Promise: Fremont's read is untouched, Union City's is
    stored under its own scoped id: two reads, each its owner's."""
    plate = unique_plate("ID")
    b_id, b_body = native(plate, B_CAM)
    a_body = json.dumps({**json.loads(b_body), "camera_id": A_CAM})
    with agent_sender(tmp_path / "b.db", server.url, keys["b_key"], [(b_id, b_body)]) as s1:
        assert settled(s1, 1)
    with agent_sender(tmp_path / "a.db", server.url, keys["a_key"], [(b_id, a_body)]) as s2:
        assert settled(s2, 1)
    assert wait_until(lambda: len(server.rows(plate)) == 2, WAIT)
    rows = server.rows(plate)
    assert {r["camera_id"] for r in rows} == {A_CAM, B_CAM}
    assert len({r["read_id"] for r in rows}) == 2
    assert dead(tmp_path / "a.db") == [] and dead(tmp_path / "b.db") == []
