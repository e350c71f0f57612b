"""What the quarantine keeps of a body: each item as a body of its own, in the form it
came (a JSON element, an NDJSON line, a CSV row under its header, a webhook's JSON), and
what vendors send beside the plate, read leniently."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from plateledger.catalog.quarantine import QuarantineItem
from plateledger.ingest import adapter_for
from plateledger.ingest.quarantine import item_body, raw_items, shown

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"


def test_each_item_is_kept_in_the_form_it_came() -> None:
    media, items = raw_items(b'[{"a": 1}, {"b": [2]}]', "application/json")
    assert media == "application/json"
    assert {i: json.loads(v) for i, v in items.items()} == {0: {"a": 1}, 1: {"b": [2]}}
    media, items = raw_items(b'{"a": 1}\n\n{"b": 2}\n', "application/x-ndjson")
    assert media == "application/x-ndjson" and items == {0: '{"a": 1}', 1: '{"b": 2}'}
    media, items = raw_items(b'camera_id,plate\ncam-1,7AAA111\ncam-2,"7B,B"\n', "text/csv")
    assert media == "text/csv"
    assert list(csv.reader(io.StringIO(items[1]))) == [["camera_id", "plate"], ["cam-2", "7B,B"]]
    boundary = "xx"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="json"\r\n\r\n'
        '{"data": {}}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"\r\n\r\nJPEG\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    media, items = raw_items(body, f"multipart/form-data; boundary={boundary}")
    # a multipart webhook is kept whole, its frame with it (base64), for a replay to store
    assert media == f"multipart/form-data; boundary={boundary}"
    assert base64.b64decode(items[-1]) == body and list(items) == [-1]
    webhook = _item(items[-1], media)
    assert item_body(webhook) == body
    seen = shown(webhook, "secret")
    assert json.loads(seen["raw"]) == {"data": {}} and "JPEG" not in json.dumps(seen)
    assert "frame" in seen["raw_withheld"]
    # a body that cannot be split is kept whole
    assert raw_items(b"not json", "application/json")[1] == {-1: "not json"}


def test_rekor_and_plate_recognizer_extras_are_kept() -> None:
    rekor = adapter_for("rekor", None).parse((FORMATS / "rekor_alpr_group.json").read_bytes())
    [extras] = rekor.extras.values()
    assert [c.plate for c in extras.candidates] == ["7XYZ981", "7XYZ98I"]
    assert (extras.image_width, extras.image_height) == (1920, 1080)
    assert (extras.vehicle_year, extras.vehicle_orientation) == ("2015-2019", "180")
    assert extras.box == (880, 610, 1010, 608, 1011, 672, 881, 674)
    webhook = adapter_for("platerecognizer", None).parse(
        (FORMATS / "platerecognizer_stream_webhook.json").read_bytes()
    )
    [extras] = webhook.extras.values()
    assert [(c.plate, c.confidence) for c in extras.candidates] == [
        ("6TRJ244", 0.902),
        ("6TRJ24A", 0.811),
    ]
    assert extras.box == (412, 509, 504, 553) and extras.vehicle_orientation == "Front"


def test_unreadable_extras_are_left_out_and_the_read_kept() -> None:
    message = json.loads((FORMATS / "openalpr_alprd_post.json").read_text())
    message["img_width"] = "wide"
    message["results"][0]["coordinates"] = [{"x": 1e300, "y": 2}]
    message["results"][0]["candidates"] = [
        {"plate": "!!"},
        {"plate": "Y69X2G", "confidence": True},
        7,
    ]
    parsed = adapter_for("openalpr", None).parse(json.dumps(message).encode())
    assert len(parsed.submissions) == 1 and parsed.errors == []
    [extras] = parsed.extras.values()
    assert extras.candidates == () and extras.box == ()
    assert (extras.image_width, extras.image_height) == (0, 1080)  # the readable one kept


def _item(raw: str, content_type: str = "application/json", item_id: int = 1) -> QuarantineItem:
    return QuarantineItem(
        id=item_id,
        agency_id=1,
        credential_kind="api_key",
        credential_prefix="abcd",
        format="native",
        content_type=content_type,
        camera_hint=None,
        item_index=0,
        raw=raw,
        reasons=["plate `QZX4821` of read 0b7f6f2e-3c4d-4f39-9a0e-2a4c8c1b9d10 is bad"],
        read_id=None,
        stored_version=None,
        status="held",
        received_at=datetime.now(UTC),
        resolved_at=None,
        resolved_by=None,
        outcome=None,
    )


def test_what_an_admin_is_shown_has_no_plate_picture_or_read_id() -> None:
    sent = {
        "camera_id": "lot-9",
        "ts": "2026-12-01T10:00:00Z",
        "plate": "QZX4821",
        "results": [{"best_plate_number": 4821555, "candidates": [{"plate": "qzx-4821"}]}],
        "vehicle_crop_jpeg": "/9j/4AAQSkZJRg",
        "note": "seen QZX4821 at the gate; " + "A" * 300,
        "read_id": "0b7f6f2e-3c4d-4f39-9a0e-2a4c8c1b9d10",
        "by_plate": {"QZX4821": 1},
    }
    shown_now = shown(_item(json.dumps(sent)), "secret")
    text = json.dumps(shown_now)
    for secret in ("QZX4821", "qzx-4821", "4821555", "/9j/4AAQ", "0b7f6f2e", "AAAAAAAA"):
        assert secret not in text, secret
    raw = json.loads(shown_now["raw"])
    assert raw["camera_id"] == "lot-9" and raw["ts"] == "2026-12-01T10:00:00Z"
    assert raw["plate"].startswith("pt_")
    assert raw["results"][0]["candidates"][0]["plate"] == raw["plate"]  # one plate, one token
    assert raw["vehicle_crop_jpeg"] == "[withheld: image]"
    assert raw["read_id"].startswith("rt_")
    assert shown_now["reasons"][0].startswith(f"plate `{raw['plate']}` of read rt_")
    # another item, another key: the same plate is another token
    other = json.loads(shown(_item(json.dumps(sent), item_id=2), "secret")["raw"])
    assert other["plate"] != raw["plate"]
    # another secret, another token: the admin cannot compute one
    assert json.loads(shown(_item(json.dumps(sent)), "other")["raw"])["plate"] != raw["plate"]
    # a CSV row: the plate column masked, the rest as sent
    csv_shown = shown(_item("camera_id,ts,plate\nlot-9,2026,QZX4821\n", "text/csv"), "k")
    assert "QZX4821" not in json.dumps(csv_shown) and "lot-9,2026,pt_" in csv_shown["raw"]
    # what cannot be parsed to be masked is not shown at all
    broken = shown(_item('{"plate": "QZX4821", '), "secret")
    assert broken["raw"] is None and "not shown" in broken["raw_withheld"]
    assert "QZX4821" not in json.dumps(broken)
    garbled = _item("QZX4821;;", "text/plain")
    garbled = QuarantineItem(**(vars(garbled) | {"reasons": ["bad body near `QZX4821;;`"]}))
    assert "QZX4821" not in json.dumps(shown(garbled, "secret"))
