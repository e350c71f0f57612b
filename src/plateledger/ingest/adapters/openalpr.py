"""OpenALPR `alpr_results` v2, as the open-source `alprd` posts it, and Plate Minder's
variant of it without the daemon fields (`uuid`, `camera_id`, `site_id`).

One message is one item; each of its ``results`` is one read, accepted or refused on its
own (errors name ``results[i].<field>``). Confidences are 0–100, ``epoch_time`` is in
milliseconds, ``region`` a lower-case state code.
"""

from __future__ import annotations

from typing import Any

from plateledger.ingest.adapters import extras as sent
from plateledger.ingest.adapters.fields import (
    FieldError,
    array,
    epoch,
    obj,
    read_id,
    required,
    scaled,
    text,
    validate,
)
from plateledger.ingest.batch import (
    AdapterResult,
    ResultBuilder,
    check_count,
    json_items,
    load_body,
)


class OpenAlprAdapter:
    """``alpr_results`` messages: one object, or an array of them."""

    version: str = "1"
    content_types: tuple[str, ...] = ("application/json",)

    def __init__(self, name: str = "openalpr") -> None:
        self.name: str = name

    def parse(
        self, body: bytes, *, content_type: str | None = None, camera_hint: str | None = None
    ) -> AdapterResult:
        """Parse ``body``; the camera is ``<site_id>-cam<camera_id>`` when the message names
        a site, else ``camera_hint``, else ``camera_id``."""
        builder = ResultBuilder()
        items = json_items(load_body(body))
        check_count(result_count(items))
        for index, item in enumerate(items):
            add_message(builder, index, item, camera_hint)
        return builder.result()


def add_message(builder: ResultBuilder, index: int, item: Any, camera_hint: str | None) -> None:
    """Add the reads of one ``alpr_results`` message (item ``index``) to ``builder``."""
    try:
        message = obj(item, "")
        data_type = message.get("data_type")
        if data_type == "heartbeat":
            builder.ignore()
            return
        if data_type is not None and data_type != "alpr_results":
            raise FieldError("data_type", "`data_type` must be `alpr_results`")
        ts = epoch(required(message, "epoch_time", "epoch_time"), "epoch_time", per_second=1000)
        camera = _camera(message, camera_hint)
        results = array(required(message, "results", "results"), "results")
        uuid = message.get("uuid")
    except FieldError as exc:
        builder.add(index, [exc.item_error(index)])
        return
    for position, result in enumerate(results):
        path = f"results[{position}]"
        try:
            fields = _read(obj(result, path), path)
        except FieldError as exc:
            builder.add(index, [exc.item_error(index)])
            continue
        plate_index = fields.pop("plate_index", position)
        if isinstance(uuid, str) and uuid:
            fields["read_id"] = read_id(uuid, str(plate_index))
        fields.update(camera_id=camera, ts=ts)
        paths = {name: f"{path}.{name}" for name in fields}
        paths.update(ts="epoch_time", camera_id="camera_id")
        kept = sent.extras(
            candidates=sent.candidates(result.get("candidates"), 100),
            box=sent.corners(result.get("coordinates")),
            width=message.get("img_width"), height=message.get("img_height"),
        )
        builder.add(index, validate(index, fields, paths), kept)


def _read(result: dict[str, Any], path: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "plate": text(required(result, "plate", f"{path}.plate"), f"{path}.plate"),
        "confidence": scaled(
            required(result, "confidence", f"{path}.confidence"), f"{path}.confidence", 100
        ),
    }
    if result.get("region") is not None:
        fields["region"] = text(result["region"], f"{path}.region")
    if result.get("region_confidence") is not None:
        fields["region_confidence"] = scaled(
            result["region_confidence"], f"{path}.region_confidence", 100
        )
    plate_index = result.get("plate_index")
    if isinstance(plate_index, int) and not isinstance(plate_index, bool):
        fields["plate_index"] = plate_index
    return fields


def _camera(message: dict[str, Any], camera_hint: str | None) -> str:
    site = message.get("site_id")
    camera = message.get("camera_id")
    if site not in (None, "") and camera is not None:
        return f"{text(site, 'site_id')}-cam{text(camera, 'camera_id')}"
    if camera_hint:
        return camera_hint
    if camera is not None:
        return text(camera, "camera_id")
    raise FieldError("camera_id", "the message names no camera: give one with `?camera=`")


def _result_count(item: Any) -> int:
    """The reads an item of a body may hold: each of an ``alpr_results`` message's
    results is one (the batch limit counts reads, not messages)."""
    results = item.get("results") if isinstance(item, dict) else None
    return len(results) if isinstance(results, list) else 1


def result_count(items: list[Any]) -> int:
    """The reads the ``alpr_results`` messages of ``items`` hold; any other item is one."""
    return sum(_result_count(item) if isinstance(item, dict)
               and item.get("data_type") in (None, "alpr_results") else 1
               for item in items)
