"""The native format: `ReadSubmission` objects as a JSON array, one object, or NDJSON."""

from __future__ import annotations

from typing import Any

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
from plateledger.read import ReadSubmission

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
            if _looks_like_ndjson(body):
                return self._ndjson(body, camera_hint)
            raise
        result = AdapterResult([], [])
        for index, item in enumerate(items):
            _collect(result, index, item, camera_hint)
        return result

    def _ndjson(self, body: bytes, camera_hint: str | None) -> AdapterResult:
        result = AdapterResult([], [])
        for index, value in ndjson_lines(body):
            if isinstance(value, ValueError):
                result.errors.append(ItemError(index, "", str(value)))
            else:
                _collect(result, index, value, camera_hint)
        return result


def submission(index: int, item: Any, camera_hint: str | None) -> ReadSubmission | list[ItemError]:
    """One native item as a read, or its errors."""
    try:
        # null is absent, as in every format (so a null camera_id is "required")
        fields = {key: value for key, value in obj(item, "").items() if value is not None}
        for name in _NUMBERS:
            if isinstance(fields.get(name), bool):
                raise FieldError(name, f"`{name}` must be a number, not a boolean")
    except FieldError as exc:
        return [exc.item_error(index)]
    if camera_hint and fields.get("camera_id") is None:
        fields["camera_id"] = camera_hint
    return validate(index, fields, {})


def _collect(result: AdapterResult, index: int, item: Any, camera_hint: str | None) -> None:
    read = submission(index, item, camera_hint)
    if isinstance(read, ReadSubmission):
        result.submissions.append((index, read))
    else:
        result.errors.extend(read)


def _looks_like_ndjson(body: bytes) -> bool:
    """Several lines, the first of which is a whole JSON object."""
    lines = body.strip().splitlines()
    if len(lines) < 2:
        return False
    try:
        return isinstance(loads(lines[0].decode("utf-8-sig")), dict)
    except ValueError:  # UnicodeDecodeError included
        return False
