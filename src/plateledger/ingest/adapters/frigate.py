"""Frigate NVR LPR events (MQTT topic ``frigate/tracked_object_update``).

Only ``type: "lpr"`` events are reads; other types are accepted and ignored. ``score`` is
0–1, ``timestamp`` epoch seconds as a float; ``name`` (a known-plate label) is not kept.
"""

from __future__ import annotations

from typing import Any

from plateledger.ingest.adapters.fields import (
    FieldError,
    epoch,
    obj,
    required,
    scaled,
    text,
    validate,
)
from plateledger.ingest.batch import AdapterResult, ResultBuilder, json_items, load_body
from plateledger.ingest.errors import ItemError
from plateledger.read import ReadSubmission


class FrigateAdapter:
    """Frigate events: one object, or an array of them."""

    name: str = "frigate"
    version: str = "1"
    content_types: tuple[str, ...] = ("application/json",)

    def parse(
        self, body: bytes, *, content_type: str | None = None, camera_hint: str | None = None
    ) -> AdapterResult:
        """Parse ``body``; the camera is the event's ``camera``, else ``camera_hint``."""
        builder = ResultBuilder()
        for index, item in enumerate(json_items(load_body(body))):
            if isinstance(item, dict) and item.get("type") != "lpr":
                builder.ignore()
            else:
                builder.add(index, event_read(index, item, camera_hint))
        return builder.result()


def event_read(index: int, item: Any, camera_hint: str | None) -> ReadSubmission | list[ItemError]:
    """The read of one ``lpr`` event, or its errors."""
    try:
        event = obj(item, "")
        camera = event.get("camera")
        fields = {
            "plate": text(required(event, "plate", "plate"), "plate"),
            "confidence": scaled(required(event, "score", "score"), "score", 1),
            "ts": epoch(required(event, "timestamp", "timestamp"), "timestamp", per_second=1),
            "camera_id": text(camera, "camera") if camera is not None else camera_hint,
        }
        if fields["camera_id"] is None:
            raise FieldError("camera", "`camera` is required")
    except FieldError as exc:
        return [exc.item_error(index)]
    paths = {"confidence": "score", "ts": "timestamp", "camera_id": "camera"}
    return validate(index, fields, paths)
