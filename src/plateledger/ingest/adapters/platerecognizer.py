"""Plate Recognizer Stream webhooks (``hook.event`` = ``recognition``).

The body is the webhook JSON, or ``multipart/form-data`` with the JSON in a ``json`` field
and the frame in an ``upload`` part ("webhook with image"). One webhook is one item; each
of its ``data.results`` is one read, accepted or refused on its own. Plates come in lower
case, scores 0–1, regions as ``us-ca``, times as ISO-8601 UTC.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from plateledger.ingest.adapters import extras as sent
from plateledger.ingest.adapters.fields import (
    FieldError,
    array,
    heading,
    label,
    obj,
    required,
    scaled,
    text,
    validate,
)
from plateledger.ingest.batch import (
    AdapterResult,
    ResultBuilder,
    check_count,
    check_size,
    json_items,
    load_body,
    media_type,
)
from plateledger.ingest.errors import MalformedBody


class PlateRecognizerAdapter:
    """Stream webhooks, JSON or multipart with the image."""

    name: str = "platerecognizer"
    version: str = "1"
    content_types: tuple[str, ...] = ("application/json", "multipart/form-data")

    def parse(
        self, body: bytes, *, content_type: str | None = None, camera_hint: str | None = None
    ) -> AdapterResult:
        """Parse ``body``; the camera is ``data.camera_id``, else ``camera_hint``.

        With multipart, the ``upload`` image is returned in ``images`` under item 0.
        """
        builder = ResultBuilder()
        if media_type(content_type) == "multipart/form-data":
            body, image = _multipart(body, content_type or "")
            if image:
                builder.images[0] = image
        items = json_items(load_body(body))
        check_count(sum(_result_count(item) for item in items))
        for index, item in enumerate(items):
            add_webhook(builder, index, item, camera_hint)
        return builder.result()


def _result_count(item: Any) -> int:
    """The reads a webhook holds: each of its ``data.results`` is one."""
    data = item.get("data") if isinstance(item, dict) else None
    results = data.get("results") if isinstance(data, dict) else None
    return len(results) if isinstance(results, list) else 1


def add_webhook(builder: ResultBuilder, index: int, item: Any, camera_hint: str | None) -> None:
    """Add the reads of one webhook (item ``index``) to ``builder``."""
    try:
        webhook = obj(item, "")
        hook = webhook.get("hook")
        if isinstance(hook, dict) and hook.get("event", "recognition") != "recognition":
            builder.ignore()
            return
        data = obj(required(webhook, "data", "data"), "data")
        camera = data.get("camera_id")
        camera_id = text(camera, "data.camera_id") if camera is not None else camera_hint
        if not camera_id:
            raise FieldError("data.camera_id", "`data.camera_id` is required")
        ts = text(required(data, "timestamp", "data.timestamp"), "data.timestamp")
        results = array(required(data, "results", "data.results"), "data.results")
    except FieldError as exc:
        builder.add(index, [exc.item_error(index)])
        return
    for position, result in enumerate(results):
        path = f"data.results[{position}]"
        try:
            fields = _read(obj(result, path), path)
        except FieldError as exc:
            builder.add(index, [exc.item_error(index)])
            continue
        fields.update(camera_id=camera_id, ts=ts)
        paths = {
            "plate": f"{path}.plate",
            "confidence": f"{path}.score",
            "region": f"{path}.region.code",
            "region_confidence": f"{path}.region.score",
            "heading": f"{path}.direction",
            "camera_id": "data.camera_id",
            "ts": "data.timestamp",
        }
        kept = sent.extras(
            candidates=sent.candidates(result.get("candidates"), 1, score="score"),
            box=sent.xyxy(result.get("box")),
            orientation=sent.top_name(result.get("orientation"), key="orientation",
                                      score="score"),
        )
        builder.add(index, validate(index, fields, paths), kept)


def _read(result: dict[str, Any], path: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "plate": text(required(result, "plate", f"{path}.plate"), f"{path}.plate").upper(),
        "confidence": scaled(required(result, "score", f"{path}.score"), f"{path}.score", 1),
    }
    region = result.get("region")
    if region is not None:
        region = obj(region, f"{path}.region")
        if region.get("code") is not None:
            fields["region"] = _region(text(region["code"], f"{path}.region.code"))
        if region.get("score") is not None:
            fields["region_confidence"] = scaled(region["score"], f"{path}.region.score", 1)
    if result.get("direction") is not None:
        fields["heading"] = heading(result["direction"], f"{path}.direction")
    fields["vehicle"] = _vehicle(result)
    return fields


def _region(code: str) -> str:
    """``us-ca`` stays (read as CA); elsewhere the country is kept: ``de-by`` → ``de``."""
    country, _, _ = code.partition("-")
    return code if country.lower() == "us" else country


def _vehicle(result: dict[str, Any]) -> dict[str, str]:
    vehicle = result.get("vehicle")
    kind = vehicle.get("type") if isinstance(vehicle, dict) else None
    make_model = _first(result.get("model_make"))
    return {
        "type": label(kind, 32),
        "make": label(make_model.get("make"), 32),
        "model": label(make_model.get("model"), 48),
        "color": label(_first(result.get("color")).get("color"), 32),
    }


def _first(candidates: Any) -> dict[str, Any]:
    """The first (most likely) of Plate Recognizer's candidate lists, or {}."""
    if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict):
        return candidates[0]
    return {}


def json_part(body: bytes, content_type: str) -> bytes:
    """The ``json`` field of a multipart webhook (the item a quarantine keeps)."""
    return _multipart(body, content_type)[0]


def _multipart(body: bytes, content_type: str) -> tuple[bytes, bytes]:
    """The ``json`` field and the ``upload`` image of a multipart body."""
    check_size(body)
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode(
        "ascii", "replace"
    )
    try:
        message = BytesParser(policy=HTTP).parsebytes(header + body)
    except Exception as exc:  # the email parser is lenient; anything it raises is our body's fault
        raise MalformedBody(f"the multipart body cannot be read: {exc}") from None
    if not message.is_multipart():
        raise MalformedBody("the multipart body has no parts (is the boundary right?)")
    fields: dict[str, bytes] = {}
    for part in message.walk():
        name = _part_name(part) if part is not message else ""
        payload = part.get_payload(decode=True)
        if name and isinstance(payload, bytes):
            fields.setdefault(name, payload)
    if "json" not in fields:
        raise MalformedBody("the multipart body has no `json` field")
    return fields["json"], fields.get("upload", b"")


def _part_name(part: Message) -> str:
    name = part.get_param("name", header="content-disposition")
    return name if isinstance(name, str) else ""
