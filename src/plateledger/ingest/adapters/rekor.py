"""Rekor Scout (commercial OpenALPR) messages: `alpr_group`, `alpr_alert`, `heartbeat`.

One group is one vehicle seen by one camera: one read, from the group's best plate.
An `alpr_alert` wraps a group (same read, same id); heartbeats and `vehicle` messages are
accepted and ignored; an `alpr_results` message is read as the `openalpr` adapter reads it.
Confidences are 0–100, ``epoch_start`` is in milliseconds, GPS 0/0 means unknown.
"""

from __future__ import annotations

from typing import Any

from plateledger.ingest.adapters import extras as sent
from plateledger.ingest.adapters.fields import (
    FieldError,
    epoch,
    heading,
    label,
    number,
    obj,
    read_id,
    required,
    scaled,
    show,
    text,
    validate,
)
from plateledger.ingest.adapters.openalpr import add_message, result_count
from plateledger.ingest.batch import (
    AdapterResult,
    ResultBuilder,
    check_count,
    json_items,
    load_body,
)
from plateledger.ingest.errors import ItemError
from plateledger.read import ReadSubmission
from plateledger.store.candidates import Extras

_IGNORED = ("heartbeat", "vehicle")


class RekorAdapter:
    """Rekor messages: one object, or an array of them."""

    name: str = "rekor"
    version: str = "1"
    content_types: tuple[str, ...] = ("application/json",)

    def parse(
        self, body: bytes, *, content_type: str | None = None, camera_hint: str | None = None
    ) -> AdapterResult:
        """Parse ``body``; the camera is ``<agent_uid>-cam<camera_id>`` when the group names
        its agent, else ``camera_hint``, else ``camera_id``."""
        builder = ResultBuilder()
        items = json_items(load_body(body))
        check_count(result_count(items))
        for index, item in enumerate(items):
            data_type = item.get("data_type") if isinstance(item, dict) else None
            if data_type in _IGNORED:
                builder.ignore()
            elif data_type == "alpr_results":
                add_message(builder, index, item, camera_hint)
            else:
                builder.add(index, group_read(index, item, camera_hint), group_extras(item))
        return builder.result()


def group_read(index: int, item: Any, camera_hint: str | None) -> ReadSubmission | list[ItemError]:
    """The read of one `alpr_group` or `alpr_alert` message, or its errors."""
    prefix = ""
    try:
        message = obj(item, "")
        data_type = message.get("data_type")
        if data_type == "alpr_alert":
            prefix = "group."
            message = obj(required(message, "group", "group"), "group")
        elif data_type not in (None, "alpr_group"):
            raise FieldError("data_type", f"unknown message type `{show(data_type)}`")
        fields, paths = _group(message, prefix, camera_hint)
    except FieldError as exc:
        return [exc.item_error(index)]
    return validate(index, fields, paths)


def group_extras(item: Any) -> Extras:
    """The candidates, plate box, image size and vehicle year and orientation of a group."""
    group: Any = item
    if isinstance(item, dict) and item.get("data_type") == "alpr_alert":
        group = item.get("group")
    if not isinstance(group, dict):
        return sent.extras()
    best: dict[str, Any] = group["best_plate"] if isinstance(group.get("best_plate"), dict) \
        else {}
    vehicle: dict[str, Any] = group["vehicle"] if isinstance(group.get("vehicle"), dict) \
        else {}
    found = sent.candidates(group.get("candidates"), 100) or sent.candidates(
        best.get("candidates"), 100)
    return sent.extras(
        candidates=found, box=sent.corners(best.get("coordinates")),
        width=group.get("best_image_width"), height=group.get("best_image_height"),
        year=sent.top_name(vehicle.get("year")),
        orientation=sent.top_name(vehicle.get("orientation")),
    )


def _group(
    group: dict[str, Any], prefix: str, camera_hint: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    def at(key: str) -> str:
        return prefix + key

    fields: dict[str, Any] = {
        "plate": text(required(group, "best_plate_number", at("best_plate_number")),
                      at("best_plate_number")),
        "confidence": scaled(required(group, "best_confidence", at("best_confidence")),
                             at("best_confidence"), 100),
        "ts": epoch(required(group, "epoch_start", at("epoch_start")), at("epoch_start"),
                    per_second=1000),
        "camera_id": _camera(group, prefix, camera_hint),
    }
    if group.get("best_region") is not None:
        fields["region"] = text(group["best_region"], at("best_region"))
    if group.get("best_region_confidence") is not None:
        fields["region_confidence"] = scaled(
            group["best_region_confidence"], at("best_region_confidence"), 100
        )
    lat, lon = group.get("gps_latitude"), group.get("gps_longitude")
    if lat is not None and lon is not None:
        lat, lon = number(lat, at("gps_latitude")), number(lon, at("gps_longitude"))
        if (lat, lon) != (0.0, 0.0):
            fields.update(lat=lat, lon=lon)
    if group.get("travel_direction") is not None:
        fields["heading"] = heading(group["travel_direction"], at("travel_direction"))
    if isinstance(group.get("vehicle"), dict):
        fields["vehicle"] = _vehicle(group["vehicle"])
    uuid = group.get("best_uuid")
    if isinstance(uuid, str) and uuid:
        fields["read_id"] = read_id(uuid)
    paths = {
        "plate": at("best_plate_number"),
        "confidence": at("best_confidence"),
        "ts": at("epoch_start"),
        "camera_id": at("camera_id"),
        "region": at("best_region"),
        "region_confidence": at("best_region_confidence"),
        "lat": at("gps_latitude"),
        "lon": at("gps_longitude"),
        "heading": at("travel_direction"),
        "": prefix.rstrip("."),
    }
    return fields, paths


def _vehicle(vehicle: dict[str, Any]) -> dict[str, str]:
    make = _top(vehicle.get("make"))
    model = _top(vehicle.get("make_model"))
    if make and model.startswith(make + "_"):
        model = model[len(make) + 1 :]
    return {
        "color": label(_top(vehicle.get("color")), 32),
        "make": label(make, 32),
        "model": label(model, 48),
        "type": label(_top(vehicle.get("body_type")), 32),
    }


def _top(candidates: Any) -> str:
    """The name of the most confident candidate (``[{name, confidence}]``), or ""."""
    if not isinstance(candidates, list):
        return ""
    best: str = ""
    best_confidence: float = -1.0
    for candidate in candidates:
        if not isinstance(candidate, dict) or not isinstance(candidate.get("name"), str):
            continue
        confidence = candidate.get("confidence")
        # int and float compare exactly in Python, so a huge integer cannot overflow here
        score: float = 0.0
        if isinstance(confidence, int | float) and not isinstance(confidence, bool):
            score = confidence
        if score > best_confidence:
            best, best_confidence = candidate["name"], score
    return best


def _camera(group: dict[str, Any], prefix: str, camera_hint: str | None) -> str:
    agent = group.get("agent_uid")
    camera = group.get("camera_id")
    if agent not in (None, "") and camera is not None:
        return f"{text(agent, prefix + 'agent_uid')}-cam{text(camera, prefix + 'camera_id')}"
    if camera_hint:
        return camera_hint
    if camera is not None:
        return text(camera, prefix + "camera_id")
    raise FieldError(prefix + "camera_id", "the group names no camera: give one with `?camera=`")
