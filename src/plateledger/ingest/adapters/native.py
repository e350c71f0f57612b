"""The native format: `ReadSubmission` objects as a JSON array, one object, or NDJSON."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from plateledger.ingest.adapters.fields import FieldError, obj, validate
from plateledger.ingest.batch import (
    AdapterResult,
    json_items,
    load_body,
    loads,
    media_type,
    ndjson_lines,
)
from plateledger.ingest.errors import ItemError, MalformedBody
from plateledger.plates import confusion_key, normalize_plate
from plateledger.read import ReadSubmission
from plateledger.store.candidates import Candidate, Extras

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")

# Numbers that pydantic would take from a boolean (true as 1.0): refused outright.
_NUMBERS = ("confidence", "region_confidence", "lat", "lon", "heading")


class NativeAdapter:
    """Reads in our own shape; field paths in errors are `ReadSubmission`'s."""

    name: str = "native"
    version: str = "1"
    content_types: tuple[str, ...] = ("application/json", *NDJSON_TYPES)

    def parse(
        self, body: bytes, *, content_type: str | None = None, camera_hint: str | None = None
    ) -> AdapterResult:
        """Parse a JSON array, a single object or NDJSON (by content type, else by sniffing).

        ``camera_hint`` fills ``camera_id`` in items that carry none.
        """
        if media_type(content_type) in NDJSON_TYPES:
            return self._ndjson(body, camera_hint)
        try:
            items = json_items(load_body(body))
        except MalformedBody:
            if looks_like_ndjson(body):
                return self._ndjson(body, camera_hint)
            raise
        return _all_items(enumerate(items), camera_hint)

    def _ndjson(self, body: bytes, camera_hint: str | None) -> AdapterResult:
        lines: list[tuple[int, Any]] = []
        unreadable: list[ItemError] = []
        for index, value in ndjson_lines(body):
            if isinstance(value, ValueError):
                unreadable.append(ItemError(index, "", str(value)))
            else:
                lines.append((index, value))
        result = _all_items(lines, camera_hint)
        result.errors[:] = sorted(unreadable + result.errors, key=lambda e: e.index)
        return result


_READS = TypeAdapter(list[ReadSubmission])
"""Validates a batch's items in one call (a third less than one call per item)."""


def _all_items(items: Iterable[tuple[int, Any]], camera_hint: str | None) -> AdapterResult:
    """Every item as a read, or its errors, in item order.

    The items that pass the checks before validation are validated together; only if one
    of them is invalid are they validated one by one, for each item's own messages (the
    same, whichever way a batch is taken)."""
    result = AdapterResult([], [])
    checked: list[tuple[int, dict[str, Any]]] = []
    for index, item in items:
        fields = _fields(index, item, camera_hint)
        if isinstance(fields, ItemError):
            result.errors.append(fields)
        else:
            checked.append((index, fields))
    try:
        reads = _READS.validate_python([fields for _, fields in checked])
    except (ValidationError, OverflowError, OSError):
        for index, fields in checked:
            read = validate(index, fields, {})
            if isinstance(read, ReadSubmission):
                result.submissions.append((index, read))
            else:
                result.errors.extend(read)
        result.errors.sort(key=lambda e: e.index)
    else:
        result.submissions.extend((i, read) for (i, _), read in zip(checked, reads, strict=True))
    for position, (_, read) in enumerate(result.submissions):
        if read.candidates or read.plate_box is not None:
            result.extras[position] = extras_of(read)
    return result


def extras_of(read: ReadSubmission) -> Extras:
    """A native read's candidates (normalised, the first of equal plates kept) and plate
    box (kept as xmin, ymin, xmax, ymax, as Plate Recognizer sends it)."""
    found: dict[str, Candidate] = {}
    for candidate in read.candidates:
        plate = normalize_plate(candidate.plate)
        found.setdefault(plate, Candidate(plate, confusion_key(plate), candidate.confidence))
    box = read.plate_box
    return Extras(
        candidates=tuple(found.values()),
        box=(box.x, box.y, box.x + box.w, box.y + box.h) if box is not None else (),
    )


def _fields(index: int, item: Any, camera_hint: str | None) -> dict[str, Any] | ItemError:
    """One native item's fields, to validate as a read, or the error that stops it before
    validation."""
    try:
        # null is absent, as in every format (so a null camera_id is "required")
        fields = {key: value for key, value in obj(item, "").items() if value is not None}
        for name in _NUMBERS:
            if isinstance(fields.get(name), bool):
                raise FieldError(name, f"`{name}` must be a number, not a boolean")
    except FieldError as exc:
        return exc.item_error(index)
    if camera_hint and fields.get("camera_id") is None:
        fields["camera_id"] = camera_hint
    return fields


def looks_like_ndjson(body: bytes) -> bool:
    """Several lines, the first of which is a whole JSON object."""
    lines = body.strip().splitlines()
    if len(lines) < 2:
        return False
    try:
        return isinstance(loads(lines[0].decode("utf-8-sig")), dict)
    except ValueError:  # UnicodeDecodeError included
        return False
