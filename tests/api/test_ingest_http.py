"""Reads posted to a running server in every format, and bad input refused clearly."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer

SAMPLES = Path(__file__).parent.parent / "ingest" / "samples"


def now_ms() -> int:
    return int(time.time() * 1000)


def fresh(name: str) -> dict[str, Any]:
    """A vendor sample with its times moved to now (samples are from 2024)."""
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    ms = now_ms()
    for key in ("epoch_time", "epoch_start", "epoch_end"):
        if key in data:
            data[key] = ms
    if "timestamp" in data:
        data["timestamp"] = ms / 1000
    if "data" in data:
        data["data"]["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return data


def post(server: LiveServer, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-API-Key": server.camera_key, "Content-Type": "application/json",
               **kwargs.pop("headers", {})}
    return httpx.post(f"{server.url}{path}", content=content, headers=headers, timeout=60,
                      **kwargs)


@pytest.mark.parametrize(
    ("path", "sample"),
    [
        ("/v1/reads/openalpr", "openalpr_alpr_results.json"),
        ("/v1/reads/plate_minder", "plate_minder_detect.json"),
        ("/v1/reads/rekor", "rekor_alpr_group.json"),
        ("/v1/reads/platerecognizer", "platerecognizer_stream_webhook.json"),
        ("/v1/reads/frigate", "frigate_tracked_object_update.json"),
    ],
)
def test_each_vendor_format_is_stored(live_server: LiveServer, path: str, sample: str) -> None:
    response = post(live_server, path, fresh(sample), params={"camera": live_server.camera_id})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["accepted"]) == 1 and body["errors"] == []


def test_native_batch_keeps_good_items_and_names_the_bad_ones(live_server: LiveServer) -> None:
    good = {"camera_id": live_server.camera_id, "ts": now_ms(), "plate": "7NAT001",
            "confidence": 0.9}
    future = good | {"plate": "7NAT002", "ts": now_ms() + 3_600_000}
    elsewhere = good | {"plate": "7NAT003", "camera_id": "fpd-fx-001"}  # Fremont's camera
    response = post(live_server, "/v1/reads", [good, future, elsewhere])
    assert response.status_code == 200
    body = response.json()
    assert len(body["accepted"]) == 1
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "ts"), (2, "camera_id")]
    assert "future" in body["errors"][0]["message"]
    assert "unknown camera 'fpd-fx-001'" in body["errors"][1]["message"]


def test_a_batch_with_no_valid_item_is_refused(live_server: LiveServer) -> None:
    response = post(live_server, "/v1/reads", [{"camera_id": live_server.camera_id}])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "no_valid_reads"


def test_an_empty_batch_is_answered_with_nothing_accepted(live_server: LiveServer) -> None:
    """docs/api.md: an empty batch is a 200 with nothing accepted (nothing was refused)."""
    response = post(live_server, "/v1/reads", [])
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == [] and response.json()["errors"] == []


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"{not json", {}, 400, "malformed_body"),
        (b"[]" + b" " * (17 * 1024 * 1024), {}, 413, "body_too_large"),
        (b"[]", {"X-API-Key": "plk_nope_nope"}, 401, "http_error"),
        (b"[]", {"Content-Type": "image/png"}, 415, "unknown_format"),
    ],
)
def test_bad_bodies_get_a_clear_error_and_no_500(
    live_server: LiveServer, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    response = post(live_server, "/v1/reads", body, headers=headers)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert "Traceback" not in response.text


def test_an_unknown_format_path_is_a_404_that_lists_the_known_ones(live_server: LiveServer) -> None:
    response = post(live_server, "/v1/reads/vigilant", [])
    assert response.status_code == 404
    assert "openalpr" in response.json()["error"]["message"]


def _count_reads(data_dir: Path, plate_prefix: str) -> int:
    code = (
        "from pathlib import Path\nfrom plateledger.store import ReadStore\n"
        f"s = ReadStore.open(data_dir=Path({str(data_dir / 'store')!r}))\n"
        "print(s.query(\"SELECT uniqExact(read_id) AS n FROM {db}.reads WHERE "
        f"startsWith(plate, '{plate_prefix}')\").column('n')[0].as_py())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    return int(done.stdout.strip())


def test_no_acknowledged_read_is_lost_to_kill_9(live_server: LiveServer) -> None:
    acknowledged: set[str] = set()
    prefix = "K9" + uuid.uuid4().hex[:3].upper().replace("0", "A")
    for batch in range(5):
        items = [{"camera_id": live_server.camera_id, "ts": now_ms() - i, "confidence": 0.8,
                  "plate": f"{prefix}{batch}{i:02d}"} for i in range(50)]
        response = post(live_server, "/v1/reads", items)
        assert response.status_code == 200
        acknowledged.update(response.json()["accepted"])
    live_server.stop(kill=True)  # SIGKILL straight after the last acknowledgement
    try:
        assert _count_reads(live_server.data_dir, prefix) == len(acknowledged) == 250
    finally:
        live_server.start()


@pytest.fixture(scope="module")
def fremont_key(live_server: LiveServer) -> str:
    """A camera key of Fremont PD, a second agency of the demo city."""
    from plateledger.catalog import open_catalog
    from plateledger.settings import Settings

    catalog = open_catalog(Settings(data_dir=live_server.data_dir, require_totp=False))
    try:
        fpd = catalog.agency_by_slug("fpd")
        assert fpd is not None
        return catalog.issue_api_key(fpd.id, label="read identity test")
    finally:
        catalog.close()


def _stored_rows(data_dir: Path, read_id: str) -> list[dict[str, Any]]:
    """Every row of ``read_id`` after OPTIMIZE FINAL (the server must be stopped)."""
    code = (
        "import json\nfrom pathlib import Path\nfrom plateledger.store import ReadStore\n"
        f"s = ReadStore.open(data_dir=Path({str(data_dir / 'store')!r}))\n"
        "s.optimize()\n"
        "t = s.query(\"SELECT owner_id, camera_id, plate, toUnixTimestamp64Milli(ts) AS ts, "
        f"confidence FROM {{db}}.reads WHERE read_id = '{read_id}' ORDER BY owner_id\")\n"
        "print(json.dumps(t.to_pylist()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    rows: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def test_a_clients_read_id_names_its_own_agencys_read_and_never_changes(
    live_server: LiveServer, fremont_key: str
) -> None:
    """A client's id is scoped to the agency whose key sent it: another agency reusing it
    makes a read of its own (never a conflict that would tell it the id is taken); the
    owner's retry is the same read, and a changed version of it is refused."""
    client_id = str(uuid.uuid4())
    ts = now_ms() - 60_000
    union_city = {"read_id": client_id, "camera_id": live_server.camera_id, "ts": ts,
                  "plate": "7IDN001", "confidence": 0.9}
    response = post(live_server, "/v1/reads", [union_city])
    assert response.status_code == 200, response.text
    [read_id] = response.json()["accepted"]
    assert read_id != client_id

    fremont = union_city | {"camera_id": "fpd-fx-001", "confidence": 0.3}
    as_fremont = {"X-API-Key": fremont_key}
    own = post(live_server, "/v1/reads", [fremont], headers=as_fremont)
    assert own.status_code == 200 and own.json()["errors"] == [], own.text
    [fremonts] = own.json()["accepted"]
    assert fremonts not in (read_id, client_id)

    # Retries are normal: the owner's identical re-post is accepted; changed evidence is
    # refused, and in a batch the others are kept, as for any bad item.
    again = post(live_server, "/v1/reads", [union_city])
    assert again.status_code == 200 and again.json()["accepted"] == [read_id]
    changed = post(live_server, "/v1/reads", [union_city | {"confidence": 0.5}])
    assert changed.status_code == 409, changed.text
    error = changed.json()["error"]
    assert error["code"] == "read_conflict" and read_id in error["message"]
    assert [(e["index"], e["field"], e["code"]) for e in error["details"]] == [
        (0, "read_id", "read_conflict")
    ]
    other = {"camera_id": live_server.camera_id, "ts": ts, "plate": "7IDN002",
             "confidence": 0.8}
    mixed = post(live_server, "/v1/reads", [union_city | {"confidence": 0.5}, other])
    assert mixed.status_code == 200, mixed.text
    assert len(mixed.json()["accepted"]) == 1
    [item] = mixed.json()["errors"]
    assert (item["index"], item["field"], item["code"]) == (0, "read_id", "read_conflict")

    live_server.stop()
    try:
        rows = _stored_rows(live_server.data_dir, read_id)
    finally:
        live_server.start()
    assert len(rows) == 1
    assert rows[0]["camera_id"] == live_server.camera_id and rows[0]["ts"] == ts
    assert rows[0]["plate"] == "7IDN001" and abs(rows[0]["confidence"] - 0.9) < 1e-6
