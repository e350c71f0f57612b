"""The native format: JSON array, single object or NDJSON of `ReadSubmission`s."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from plateledger.ingest import (
    ADAPTERS,
    MAX_BATCH_ITEMS,
    MAX_BODY_BYTES,
    BatchTooLarge,
    ItemError,
    MalformedBody,
)
from plateledger.plates import confusion_key
from plateledger.read import Vehicle

SAMPLES = Path(__file__).parent / "samples"
native = ADAPTERS["native"]
READ = {"camera_id": "cam-1", "ts": "2024-11-24T14:20:01Z", "plate": "7ABC123", "confidence": 0.9}


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_an_array_object_and_ndjson_give_the_same_reads() -> None:
    as_array = native.parse(body([READ, READ]))
    as_object = native.parse(body(READ))
    as_ndjson = native.parse(
        (json.dumps(READ) + "\n" + json.dumps(READ) + "\n").encode(),
        content_type="application/x-ndjson",
    )
    assert as_object.submissions == as_array.submissions[:1]
    assert as_ndjson.submissions == as_array.submissions
    assert [i for i, _ in as_array.submissions] == [0, 1]


def test_ndjson_lines_stand_alone_and_a_line_that_is_not_json_is_an_item_error() -> None:
    parsed = native.parse(
        (SAMPLES / "native_reads.ndjson").read_bytes(), content_type="application/x-ndjson"
    )
    reads = dict(parsed.submissions)
    assert sorted(reads) == [0, 1]
    assert (reads[0].region, reads[0].lat, reads[0].heading) == ("CA", 37.59, 90)
    assert reads[1].ts == datetime(2024, 11, 24, 14, 20, 2, tzinfo=UTC)
    assert reads[1].vehicle == Vehicle(color="red", make="ford")
    assert [(e.index, e.field) for e in parsed.errors] == [(2, ""), (3, "plate")]
    assert parsed.errors[0].message.startswith("line is not JSON")


def test_ndjson_is_recognised_without_its_content_type() -> None:
    parsed = native.parse((SAMPLES / "native_reads.ndjson").read_bytes())
    assert len(parsed.submissions) == 2 and len(parsed.errors) == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"plate": ""}, "plate", "at least 1 character"),
        ({"plate": " - "}, "plate", "plate is empty"),
        ({"plate": "7ABC123XYZ99"}, "plate", "longer than 10"),
        ({"plate": "7ÄBC"}, "plate", "may hold only"),
        ({"plate": 7123}, "plate", "valid string"),
        ({"confidence": 1.5}, "confidence", "less than or equal to 1, not `1.5`"),
        ({"confidence": True}, "confidence", "not a boolean"),
        ({"lat": 91.0, "lon": 0.0}, "lat", "less than or equal to 90"),
        ({"lat": 10.0, "lon": -181.0}, "lon", "greater than or equal to -180"),
        ({"lat": 10.0}, "", "lat and lon must be given together"),
        ({"heading": 360}, "heading", "less than 360"),
        ({"ts": "tomorrow"}, "ts", "time `tomorrow` is not ISO-8601"),
        ({"ts": "2024-11-24T14:20:01"}, "ts", "no time zone"),
        ({"ts": 10**30}, "ts", "out of range"),
        ({"ts": False}, "ts", "ISO-8601 text or epoch"),
        ({"region": "u$"}, "region", "letters and digits"),
        ({"camera_id": None}, "camera_id", "field required"),
        ({"camera_id": 12}, "camera_id", "valid string"),
        ({"vehicle": ["red"]}, "vehicle", "valid dictionary"),
        ({"vehicle": {"color": "x" * 100}}, "vehicle.color", "at most 32"),
        ({"read_id": "not-a-uuid"}, "read_id", "valid UUID"),
        ({"candidates": "7ABC128"}, "candidates", "valid tuple"),
        ({"candidates": [{"plate": "7ABC128", "confidence": 1.2}]}, "candidates[0].confidence",
         "less than or equal to 1"),
        ({"candidates": [{"plate": "7AB?128", "confidence": 0.2}]}, "candidates[0].plate",
         "may hold only"),
        ({"candidates": [{"confidence": 0.2}]}, "candidates[0].plate", "field required"),
        ({"candidates": [{"plate": "7ABC12", "confidence": 0.1}] * 11}, "candidates",
         "at most 10"),
        ({"plate_box": {"x": 10, "y": 5, "w": 0, "h": 20}}, "plate_box.w",
         "greater than or equal to 1"),
        ({"plate_box": {"x": -1, "y": 5, "w": 90, "h": 20}}, "plate_box.x",
         "greater than or equal to 0"),
        ({"plate_box": [10, 5, 90, 20]}, "plate_box", "valid dictionary"),
    ],
)
def test_validation_errors_name_the_field(
    changes: dict[str, Any], field: str, message: str
) -> None:
    parsed = native.parse(body([READ, READ | changes]))
    assert [i for i, _ in parsed.submissions] == [0]
    assert [(e.index, e.field) for e in parsed.errors] == [(1, field)]
    assert message in parsed.errors[0].message


def test_missing_fields_are_each_named() -> None:
    parsed = native.parse(body({"plate": "7ABC123"}))
    assert {e.field for e in parsed.errors} == {"camera_id", "ts", "confidence"}
    assert {e.message for e in parsed.errors} == {"field required"}


def test_a_time_more_than_five_minutes_ahead_is_refused() -> None:
    soon = datetime.now(UTC) + timedelta(minutes=2)
    late = datetime.now(UTC) + timedelta(minutes=10)
    parsed = native.parse(body([READ | {"ts": soon.isoformat()}, READ | {"ts": late.isoformat()}]))
    assert [i for i, _ in parsed.submissions] == [0]
    assert parsed.errors == [ItemError(1, "ts", "time is more than 5 minutes in the future")]


def test_null_is_the_same_as_absent() -> None:
    item = READ | {"region": None, "lat": None, "lon": None, "vehicle": None, "read_id": None}
    [(_, read)] = native.parse(body(item)).submissions
    assert (read.region, read.lat, read.vehicle) == ("", None, Vehicle())


def test_unknown_fields_are_ignored_and_the_camera_hint_fills_a_missing_camera() -> None:
    item = {k: v for k, v in READ.items() if k != "camera_id"} | {"firmware": {"v": [1, 2]}}
    [(_, read)] = native.parse(body(item), camera_hint="gate").submissions
    assert read.camera_id == "gate"


@pytest.mark.parametrize("item", [[READ], "7ABC123", 42, None, True])
def test_an_item_that_is_not_an_object_is_an_item_error(item: Any) -> None:
    parsed = native.parse(body([READ, item]))
    assert len(parsed.submissions) == 1
    assert [(e.index, e.field) for e in parsed.errors] == [(1, "")]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b"not json",
        b'"a string"',
        b"12",
        b"[{]",
        b'{"confidence": NaN}',
        b'[{"lat": Infinity}]',
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff\xfe\x00",
        b'{"ts": 1' + b"0" * 5000 + b"}",
    ],
)
def test_a_body_that_is_not_json_objects_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedBody):
        native.parse(raw)


def test_more_than_the_batch_limit_is_too_large() -> None:
    native.parse(body([{}] * MAX_BATCH_ITEMS))
    with pytest.raises(BatchTooLarge):
        native.parse(body([{}] * (MAX_BATCH_ITEMS + 1)))
    with pytest.raises(BatchTooLarge):
        native.parse(b"{}\n" * (MAX_BATCH_ITEMS + 1), content_type="application/x-ndjson")


def test_a_body_over_the_byte_limit_is_too_large() -> None:
    with pytest.raises(BatchTooLarge):
        native.parse(b" " * (MAX_BODY_BYTES + 1))


def test_a_broken_pretty_printed_object_is_malformed_not_many_lines() -> None:
    with pytest.raises(MalformedBody):
        native.parse(b'{\n  "camera_id": "cam-1",\n  "plate": "7ABC123",\n')


def test_a_batch_says_of_each_item_what_the_item_alone_would() -> None:
    """Items are validated together; one invalid item sends the batch item by item, so
    each item's reads and messages are the same in any batch, in item order."""
    items: list[Any] = [
        READ, READ | {"confidence": True}, READ | {"plate": "7abc 124"}, "not an object",
        READ | {"ts": 10**30}, READ | {"camera_id": None, "plate": ""}, READ,
    ]
    batch = native.parse(body(items))
    alone = [native.parse(body([item])) for item in items]
    assert [i for i, _ in batch.submissions] == [0, 2, 6]
    assert [s for _, s in batch.submissions] == [
        s for result in alone for _, s in result.submissions
    ]
    assert [(e.index, e.field, e.message) for e in batch.errors] == [
        (i, e.field, e.message) for i, result in enumerate(alone) for e in result.errors
    ]
    lines = [json.dumps(item) for item in items]
    lines.insert(3, "{not json")
    as_ndjson = native.parse("\n".join(lines).encode(), content_type="application/x-ndjson")
    assert [i for i, _ in as_ndjson.submissions] == [0, 2, 7]
    assert [e.index for e in as_ndjson.errors] == [1, 3, 4, 5, 6, 6]


def test_candidates_and_the_plate_box_are_kept_beside_the_read() -> None:
    """A recogniser's other readings (the raw read, an unsure character's second choice)
    go to the store with the read, so that an exact search for one of them finds it."""
    evidence = {
        "candidates": [{"plate": "7abc-128", "confidence": 0.31},
                       {"plate": "7ABC123", "confidence": 0.9},
                       {"plate": "7ABC128", "confidence": 0.2}],  # the same plate again
        "plate_box": {"x": 264, "y": 219, "w": 76, "h": 25},
    }
    parsed = native.parse(body([READ, READ | evidence, READ | {"plate_box": evidence[
        "plate_box"]}]))
    assert [i for i, _ in parsed.submissions] == [0, 1, 2] and parsed.errors == []
    assert sorted(parsed.extras) == [1, 2]  # a read with neither has no extras
    extras = parsed.extras[1]
    assert [(c.plate, c.confidence) for c in extras.candidates] == [
        ("7ABC128", 0.31), ("7ABC123", 0.9)]
    assert extras.candidates[0].plate_key == confusion_key("7ABC128")
    assert extras.box == (264, 219, 340, 244)  # xmin, ymin, xmax, ymax
    assert parsed.extras[2].candidates == () and parsed.extras[2].box == (264, 219, 340, 244)


def test_an_invalid_neighbour_does_not_move_a_reads_candidates() -> None:
    """Extras follow their read's position among the reads kept, whichever way the batch
    was validated (together, or item by item because one item is invalid)."""
    read = READ | {"candidates": [{"plate": "7ABC128", "confidence": 0.31}]}
    parsed = native.parse(body([READ | {"plate": ""}, read, READ]))
    assert [i for i, _ in parsed.submissions] == [1, 2]
    assert list(parsed.extras) == [0]
    assert parsed.extras[0].candidates[0].plate == "7ABC128"
