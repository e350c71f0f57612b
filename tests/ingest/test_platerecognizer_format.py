"""Plate Recognizer Stream webhooks, JSON and multipart with the image."""

import json
from pathlib import Path
from typing import Any

import pytest

from plateledger.ingest import ADAPTERS, MalformedBody, adapter_for
from plateledger.read import Vehicle

SAMPLES = Path(__file__).parent / "samples"
recognizer = ADAPTERS["platerecognizer"]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"


def sample() -> dict[str, Any]:
    raw = (SAMPLES / "platerecognizer_stream_webhook.json").read_text()
    value: dict[str, Any] = json.loads(raw)
    return value


def multipart(fields: list[tuple[str, str | None, bytes]], boundary: str = "b0undary") -> bytes:
    parts = []
    for name, filename, content in fields:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        kind = "image/jpeg" if filename else "application/json"
        parts.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {kind}\r\n\r\n"
            .encode() + content + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_a_recognition_is_a_read_with_upper_case_plate_and_state_region() -> None:
    parsed = recognizer.parse((SAMPLES / "platerecognizer_stream_webhook.json").read_bytes())
    assert parsed.errors == [] and parsed.images == {}
    [(index, read)] = parsed.submissions
    assert index == 0
    assert read.plate == "6TRJ244"
    assert read.camera_id == "camera-12"
    assert int(read.ts.timestamp() * 1000) == 1732458001123
    assert read.confidence == 0.902
    assert (read.region, read.region_confidence) == ("CA", 0.86)
    assert read.heading == 95
    assert read.vehicle == Vehicle(color="black", make="Honda", model="Civic", type="Sedan")


def test_the_webhook_with_image_returns_the_image_of_its_item() -> None:
    content = multipart([
        ("json", None, (SAMPLES / "platerecognizer_stream_webhook.json").read_bytes()),
        ("upload", "14-20-01.123.jpg", JPEG),
    ])
    content_type = "multipart/form-data; boundary=b0undary"
    assert adapter_for(None, content_type) is recognizer
    parsed = recognizer.parse(content, content_type=content_type)
    assert [r.plate for _, r in parsed.submissions] == ["6TRJ244"]
    assert parsed.images == {0: JPEG}


def test_a_multipart_webhook_without_image_has_no_images() -> None:
    content = multipart([("json", None, json.dumps(sample()).encode())])
    parsed = recognizer.parse(content, content_type="multipart/form-data; boundary=b0undary")
    assert len(parsed.submissions) == 1 and parsed.images == {}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"not multipart at all", "multipart/form-data; boundary=b0undary"),
        (b"--b0undary--\r\n", "multipart/form-data"),
        (multipart([("upload", "a.jpg", JPEG)]), "multipart/form-data; boundary=b0undary"),
        (multipart([("json", None, b"{oops")]), "multipart/form-data; boundary=b0undary"),
    ],
)
def test_a_broken_multipart_body_is_malformed(content: bytes, content_type: str) -> None:
    with pytest.raises(MalformedBody):
        recognizer.parse(content, content_type=content_type)


def test_other_events_are_ignored() -> None:
    webhook = sample()
    webhook["hook"]["event"] = "image.done"
    parsed = recognizer.parse(json.dumps(webhook).encode())
    assert (parsed.submissions, parsed.errors, parsed.ignored) == ([], [], 1)


@pytest.mark.parametrize(
    ("code", "region"), [("us-ca", "CA"), ("US-NY", "NY"), ("gb", "GB"), ("de-by", "DE")]
)
def test_region_codes_keep_the_us_state_or_else_the_country(code: str, region: str) -> None:
    webhook = sample()
    webhook["data"]["results"][0]["region"]["code"] = code
    assert recognizer.parse(json.dumps(webhook).encode()).submissions[0][1].region == region


def test_optional_result_fields_are_never_required() -> None:
    webhook = {"data": {"camera_id": "c9", "timestamp": "2024-11-24T14:20:01Z",
                        "results": [{"plate": "abc123", "score": 0.5}]}}
    [(_, read)] = recognizer.parse(json.dumps(webhook).encode()).submissions
    assert (read.plate, read.region, read.heading, read.vehicle) == ("ABC123", "", None, Vehicle())


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("data", "timestamp"), "2024-11-24 14:20:01", "data.timestamp"),
        (("data", "timestamp"), 1732458001, "data.timestamp"),
        (("data", "camera_id"), ["camera-12"], "data.camera_id"),
        (("data", "results"), None, "data.results"),
        (("data", "results", 0, "score"), 90.2, "data.results[0].score"),
        (("data", "results", 0, "plate"), "6trj244 6trj244 6trj244", "data.results[0].plate"),
        (("data", "results", 0, "region"), "us-ca", "data.results[0].region"),
        (("data", "results", 0, "direction"), -5, "data.results[0].direction"),
    ],
)
def test_a_bad_field_is_refused_by_its_path(path: tuple[Any, ...], value: Any, field: str) -> None:
    webhook = sample()
    target = webhook
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    parsed = recognizer.parse(json.dumps(webhook).encode())
    assert parsed.submissions == []
    assert [(e.index, e.field) for e in parsed.errors] == [(0, field)]
