"""Frigate NVR `tracked_object_update` LPR events."""

import json
from pathlib import Path
from typing import Any

import pytest

from plateledger.ingest import ADAPTERS

SAMPLES = Path(__file__).parent / "samples"
frigate = ADAPTERS["frigate"]


def event(**changes: Any) -> bytes:
    value = json.loads((SAMPLES / "frigate_tracked_object_update.json").read_text())
    return json.dumps(value | changes).encode()


def test_an_lpr_event_is_a_read() -> None:
    parsed = frigate.parse(event())
    [(index, read)] = parsed.submissions
    assert index == 0 and parsed.errors == []
    assert (read.plate, read.camera_id, read.confidence) == ("5KLM302", "driveway_cam", 0.93)
    assert int(read.ts.timestamp() * 1000) == 1732449712510


@pytest.mark.parametrize("name", [None, "Mum's car", "", ["x"]])
def test_the_known_plate_label_is_not_kept_and_breaks_nothing(name: Any) -> None:
    assert frigate.parse(event(name=name)).submissions[0][1].plate == "5KLM302"


@pytest.mark.parametrize("kind", ["description", "face", "classification"])
def test_other_event_types_are_ignored(kind: str) -> None:
    parsed = frigate.parse(event(type=kind))
    assert (parsed.submissions, parsed.errors, parsed.ignored) == ([], [], 1)


def test_the_camera_hint_stands_in_for_a_missing_camera() -> None:
    raw = json.dumps({"type": "lpr", "plate": "5KLM302", "score": 0.8, "timestamp": 1732449712.5})
    assert frigate.parse(raw.encode(), camera_hint="porch").submissions[0][1].camera_id == "porch"
    assert [e.field for e in frigate.parse(raw.encode()).errors] == ["camera"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"plate": None}, "plate"),
        ({"plate": "???"}, "plate"),
        ({"score": 93}, "score"),
        ({"score": "0.9"}, "score"),
        ({"timestamp": 1e300}, "timestamp"),
        ({"timestamp": 4102444800.0}, "timestamp"),
        ({"camera": {"name": "x"}}, "camera"),
    ],
)
def test_a_bad_event_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    parsed = frigate.parse(event(**changes))
    assert parsed.submissions == []
    assert [e.field for e in parsed.errors] == [field]
