"""No input of any kind makes an adapter fail other than by its documented errors."""

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plateledger.ingest import ADAPTERS, AdapterResult, BatchTooLarge, ItemError, MalformedBody
from plateledger.read import ReadSubmission

SAMPLES = Path(__file__).parent / "samples"
CONTENT_TYPES = [
    None,
    "application/json",
    "application/x-ndjson",
    "text/csv",
    "multipart/form-data; boundary=zz",
]
SAMPLE_FILES = {
    "openalpr": "openalpr_two_plates.json",
    "plate_minder": "plate_minder_detect.json",
    "rekor": "rekor_alpr_alert.json",
    "platerecognizer": "platerecognizer_stream_webhook.json",
    "frigate": "frigate_tracked_object_update.json",
    "native": "native_reads.ndjson",
}
FUZZ = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(["", "us-ca", "2024-11-24T14:20:01Z", "7ABC123", "lpr", "heartbeat",
                      "alpr_alert", "alpr_group", "alpr_results", "recognition", "ca"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=5),
    max_leaves=20,
)


def check(name: str, body: bytes, content_type: str | None, hint: str | None = None) -> None:
    try:
        result = ADAPTERS[name].parse(body, content_type=content_type, camera_hint=hint)
    except (MalformedBody, BatchTooLarge) as exc:
        assert str(exc)
        return
    assert isinstance(result, AdapterResult)
    for index, read in result.submissions:
        assert isinstance(index, int) and isinstance(read, ReadSubmission)
    for error in result.errors:
        assert isinstance(error, ItemError) and error.message
        assert isinstance(error.index, int) and isinstance(error.field, str)
    assert all(isinstance(v, bytes) for v in result.images.values())


def dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


@FUZZ
@given(st.sampled_from(sorted(ADAPTERS)), json_values, st.sampled_from(CONTENT_TYPES))
def test_any_json_value_gives_a_result_or_a_body_error(
    name: str, value: Any, content_type: str | None
) -> None:
    check(name, dumps(value), content_type)


@FUZZ
@given(st.sampled_from(sorted(ADAPTERS)), st.binary(max_size=300), st.sampled_from(CONTENT_TYPES))
def test_any_bytes_give_a_result_or_a_body_error(
    name: str, body: bytes, content_type: str | None
) -> None:
    check(name, body, content_type, "cam")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for position, inner in enumerate(value):
            found += _paths(inner, (*prefix, position))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


@FUZZ
@given(st.sampled_from(sorted(SAMPLE_FILES)), st.data(), json_values)
def test_any_field_of_a_real_sample_may_hold_anything(
    name: str, data: st.DataObject, new: Any
) -> None:
    text = (SAMPLES / SAMPLE_FILES[name]).read_text()
    sample = json.loads(text.splitlines()[0] if name == "native" else text)
    path = data.draw(st.sampled_from(_paths(sample)))
    check(name, dumps(_replace(sample, path, new)), "application/json")


@FUZZ
@given(st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=6), st.booleans())
def test_any_csv_cells_give_a_result_or_a_body_error(
    rows: list[list[str]], with_hint: bool
) -> None:
    header = "camera_id,ts,plate,confidence,lat,lon,heading,region,vehicle_color,read_id\n"
    body = header + "\n".join(",".join(row) for row in rows)
    check("csv", body.encode(), "text/csv", "cam" if with_hint else None)
