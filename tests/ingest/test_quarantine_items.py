"""What the quarantine keeps of a body: each item as a body of its own, in the form it
came (a JSON element, an NDJSON line, a CSV row under its header, a webhook's JSON), and
what vendors send beside the plate, read leniently."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from plateledger.ingest import adapter_for
from plateledger.ingest.quarantine import raw_items

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
    assert media == "application/json" and json.loads(items[0]) == {"data": {}}
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
