"""OpenALPR `alpr_results` (alprd) and Plate Minder's variant of it."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from plateledger.ingest import ADAPTERS, ItemError, MalformedBody

SAMPLES = Path(__file__).parent / "samples"
openalpr = ADAPTERS["openalpr"]


def sample(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return value


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_a_result_maps_to_one_read_with_scaled_confidences() -> None:
    parsed = openalpr.parse((SAMPLES / "openalpr_alpr_results.json").read_bytes())
    assert parsed.errors == [] and parsed.ignored == 0
    [(index, read)] = parsed.submissions
    assert index == 0
    assert read.plate == "8ABC123"
    assert read.ts == datetime(2024, 11, 24, 12, 0, 1, 123000, tzinfo=UTC)
    assert int(read.ts.timestamp() * 1000) == 1732449601123
    assert read.confidence == pytest.approx(0.913)
    assert read.region == "CA"
    assert read.region_confidence == pytest.approx(0.88)
    assert read.camera_id == "unioncity-cam3"
    assert read.lat is None and read.heading is None


def test_every_result_of_a_message_is_a_read_of_the_same_item() -> None:
    parsed = openalpr.parse((SAMPLES / "openalpr_two_plates.json").read_bytes())
    assert [(i, r.plate, r.region) for i, r in parsed.submissions] == [
        (0, "8ABC123", "CA"),
        (0, "5DEF456", "NV"),
    ]


def test_read_ids_are_stable_across_retries_and_distinct_per_plate() -> None:
    raw = (SAMPLES / "openalpr_two_plates.json").read_bytes()
    first = [r.read_id for _, r in openalpr.parse(raw).submissions]
    retry = [r.read_id for _, r in openalpr.parse(raw).submissions]
    assert first == retry
    assert None not in first and len(set(first)) == 2


def test_another_frame_gets_other_read_ids() -> None:
    message = sample("openalpr_alpr_results.json")
    before = openalpr.parse(body(message)).submissions[0][1].read_id
    message["uuid"] = "unioncity-cam3-1732449601999"
    message["epoch_time"] = 1732449601999
    assert openalpr.parse(body(message)).submissions[0][1].read_id != before


@pytest.mark.parametrize(
    ("changes", "hint", "camera"),
    [
        ({}, "ignored-hint", "unioncity-cam3"),
        ({"site_id": None}, "gate-east", "gate-east"),
        ({"site_id": None}, None, "3"),
        ({"site_id": ""}, None, "3"),
    ],
)
def test_camera_id_comes_from_site_then_hint_then_camera_number(
    changes: dict[str, Any], hint: str | None, camera: str
) -> None:
    message = sample("openalpr_alpr_results.json") | changes
    parsed = openalpr.parse(body(message), camera_hint=hint)
    assert parsed.submissions[0][1].camera_id == camera


def test_a_bad_result_is_refused_and_the_good_one_kept() -> None:
    message = sample("openalpr_two_plates.json")
    message["results"][0]["confidence"] = 130
    parsed = openalpr.parse(body(message))
    assert [r.plate for _, r in parsed.submissions] == ["5DEF456"]
    assert parsed.errors == [
        ItemError(0, "results[0].confidence", "`results[0].confidence` must lie between 0 and "
                  "100, not `130`")
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"epoch_time": None}, "epoch_time"),
        ({"epoch_time": "yesterday"}, "epoch_time"),
        ({"epoch_time": True}, "epoch_time"),
        ({"epoch_time": 10**30}, "epoch_time"),
        ({"epoch_time": 4102444800000}, "epoch_time"),  # 2100: in the future
        ({"results": {"plate": "8ABC123"}}, "results"),
        ({"data_type": "alpr_group"}, "data_type"),
        ({"site_id": None, "camera_id": None}, "camera_id"),
    ],
)
def test_a_bad_message_is_one_error_naming_the_field(changes: dict[str, Any], field: str) -> None:
    parsed = openalpr.parse(body(sample("openalpr_alpr_results.json") | changes))
    assert parsed.submissions == []
    assert [(e.index, e.field) for e in parsed.errors] == [(0, field)]


@pytest.mark.parametrize(
    ("result_changes", "field"),
    [
        ({"plate": ""}, "results[0].plate"),
        ({"plate": "ÄÖÜ☃"}, "results[0].plate"),
        ({"plate": "X" * 40}, "results[0].plate"),
        ({"plate": ["8ABC123"]}, "results[0].plate"),
        ({"confidence": "high"}, "results[0].confidence"),
        ({"confidence": False}, "results[0].confidence"),
        ({"region": "c@"}, "results[0].region"),
        ({"region_confidence": -1}, "results[0].region_confidence"),
    ],
)
def test_a_bad_result_field_is_named_by_its_path(
    result_changes: dict[str, Any], field: str
) -> None:
    message = sample("openalpr_alpr_results.json")
    message["results"][0] |= result_changes
    parsed = openalpr.parse(body(message))
    assert parsed.submissions == []
    assert [e.field for e in parsed.errors] == [field]
    assert all(e.message and not e.message[0].isupper() for e in parsed.errors)
    assert not any(e.message.endswith(".") for e in parsed.errors)


def test_an_array_of_messages_is_a_batch() -> None:
    message = sample("openalpr_alpr_results.json")
    parsed = openalpr.parse(body([message, "junk", message]))
    assert [i for i, _ in parsed.submissions] == [0, 2]
    assert parsed.errors == [ItemError(1, "", "item must be an object, not a string")]


def test_plate_minder_messages_take_the_camera_from_the_hint() -> None:
    parsed = ADAPTERS["plate_minder"].parse(
        (SAMPLES / "plate_minder_detect.json").read_bytes(), camera_hint="garage"
    )
    [(_, read)] = parsed.submissions
    assert (read.camera_id, read.plate, read.region) == ("garage", "4FGH771", "CA")
    assert read.confidence == pytest.approx(0.876)
    assert int(read.ts.timestamp() * 1000) == 1732449800412
    assert read.stable_id(1) == read.stable_id(1)


def test_plate_minder_without_a_camera_hint_says_how_to_name_one() -> None:
    parsed = ADAPTERS["plate_minder"].parse((SAMPLES / "plate_minder_detect.json").read_bytes())
    assert parsed.submissions == []
    assert parsed.errors[0].field == "camera_id"
    assert "?camera=" in parsed.errors[0].message


@pytest.mark.parametrize("raw", [b"", b"{", b"42", b'"text"', b"null", b"[1,", b"\xff\xfe"])
def test_a_body_that_is_not_messages_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedBody):
        openalpr.parse(raw)
