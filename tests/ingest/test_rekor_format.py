"""Rekor Scout `alpr_group`, `alpr_alert` and `heartbeat` messages."""

import json
from pathlib import Path
from typing import Any

import pytest

from plateledger.ingest import ADAPTERS, ItemError
from plateledger.read import Vehicle

SAMPLES = Path(__file__).parent / "samples"
rekor = ADAPTERS["rekor"]


def sample(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return value


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_a_group_is_one_read_of_its_best_plate() -> None:
    parsed = rekor.parse((SAMPLES / "rekor_alpr_group.json").read_bytes())
    assert parsed.errors == [] and parsed.ignored == 0
    [(index, read)] = parsed.submissions
    assert index == 0
    assert read.plate == "7XYZ981"
    assert int(read.ts.timestamp() * 1000) == 1732449654100
    assert read.confidence == pytest.approx(0.934)
    assert (read.region, read.region_confidence) == ("CA", pytest.approx(0.91))
    assert (read.lat, read.lon) == (37.5934, -122.0439)
    assert read.heading == 182.5
    assert read.camera_id == "K8sWq0tX2rJm-cam1130204785"
    assert read.vehicle == Vehicle(color="silver-gray", make="toyota", model="camry",
                                   type="sedan-standard")


def test_the_most_confident_vehicle_name_is_taken() -> None:
    group = sample("rekor_alpr_group.json")
    group["vehicle"]["color"] = [
        {"name": "red", "confidence": 20},
        {"name": "blue", "confidence": 70},
    ]
    [(_, read)] = rekor.parse(body(group)).submissions
    assert read.vehicle.color == "blue"


def test_an_alert_wraps_the_same_read_with_the_same_id() -> None:
    group = rekor.parse((SAMPLES / "rekor_alpr_group.json").read_bytes()).submissions[0][1]
    alert = rekor.parse((SAMPLES / "rekor_alpr_alert.json").read_bytes()).submissions[0][1]
    assert alert == group
    assert alert.read_id is not None


def test_heartbeats_are_accepted_and_ignored() -> None:
    parsed = rekor.parse((SAMPLES / "rekor_heartbeat.json").read_bytes())
    assert parsed.submissions == [] and parsed.errors == [] and parsed.ignored == 1


def test_an_array_mixes_groups_alerts_and_heartbeats() -> None:
    items = [sample("rekor_heartbeat.json"), sample("rekor_alpr_group.json"),
             sample("rekor_alpr_alert.json"), sample("rekor_heartbeat.json")]
    parsed = rekor.parse(body(items))
    assert [i for i, _ in parsed.submissions] == [1, 2]
    assert parsed.ignored == 2 and parsed.errors == []


@pytest.mark.parametrize(
    ("changes", "lat"),
    [
        ({"gps_latitude": 0, "gps_longitude": 0}, None),
        ({"gps_latitude": None, "gps_longitude": None}, None),
        ({"gps_longitude": None}, None),
        ({"gps_latitude": 40.0, "gps_longitude": -74.0}, 40.0),
    ],
)
def test_gps_zero_or_absent_means_unknown(changes: dict[str, Any], lat: float | None) -> None:
    group = {k: v for k, v in (sample("rekor_alpr_group.json") | changes).items() if v is not None}
    [(_, read)] = rekor.parse(body(group)).submissions
    assert read.lat == lat


def test_optional_fields_are_never_required() -> None:
    group = {
        "data_type": "alpr_group", "best_plate_number": "7XYZ981", "best_confidence": 90,
        "epoch_start": 1732449654100, "camera_id": 12,
    }
    [(_, read)] = rekor.parse(body(group)).submissions
    assert (read.camera_id, read.region, read.lat, read.heading) == ("12", "", None, None)
    assert read.vehicle == Vehicle()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"best_plate_number": None}, "best_plate_number"),
        ({"best_plate_number": "7XYZ 98!"}, "best_plate_number"),
        ({"best_confidence": 101}, "best_confidence"),
        ({"epoch_start": "1732449654100"}, "epoch_start"),
        ({"gps_latitude": 123.0}, "gps_latitude"),
        ({"gps_longitude": True}, "gps_longitude"),
        ({"travel_direction": 400}, "travel_direction"),
        ({"data_type": "alpr_surprise"}, "data_type"),
    ],
)
def test_a_bad_group_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    parsed = rekor.parse(body(sample("rekor_alpr_group.json") | changes))
    assert parsed.submissions == []
    assert [(e.index, e.field) for e in parsed.errors] == [(0, field)]


def test_errors_inside_an_alert_name_the_group_path() -> None:
    alert = sample("rekor_alpr_alert.json")
    alert["group"]["best_confidence"] = -3
    assert [e.field for e in rekor.parse(body(alert)).errors] == ["group.best_confidence"]
    alert["group"] = [1, 2]
    assert rekor.parse(body(alert)).errors == [
        ItemError(0, "group", "`group` must be an object, not an array")
    ]


def test_junk_vehicle_attributes_do_not_refuse_the_read() -> None:
    group = sample("rekor_alpr_group.json")
    group["vehicle"] = {"color": "red", "make": [{"name": 3}], "body_type": [None, {"x": 1}]}
    [(_, read)] = rekor.parse(body(group)).submissions
    assert read.vehicle == Vehicle()
