"""A batch: the body of one ingest request, its limits, and what an adapter makes of it.

Every adapter reads a body into items (a JSON array, NDJSON lines, CSV rows, one object)
and returns an `AdapterResult`: the valid reads with their item index, an `ItemError` per
bad item, and a count of items deliberately ignored. Only a body that cannot be read as a
whole raises (`MalformedBody`, `BatchTooLarge`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from plateledger.ingest.errors import BatchTooLarge, ItemError, MalformedBody
from plateledger.read import ReadSubmission
from plateledger.store.candidates import Extras

MAX_BATCH_ITEMS = 10_000
"""Most items (reads, messages, lines, rows) one body may hold."""

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Largest body accepted (the server refuses larger ones before parsing, too)."""


@dataclass(frozen=True)
class AdapterResult:
    """What an adapter made of one body."""

    submissions: list[tuple[int, ReadSubmission]]
    """The valid reads, each with the index of the item it came from, in batch order."""
    errors: list[ItemError]
    """One entry per bad item (or per bad read inside an item), in batch order."""
    ignored: int = 0
    """Items accepted and deliberately ignored (heartbeats, events that are not reads)."""
    images: dict[int, bytes] = field(default_factory=dict)
    """Images that came with the body (multipart webhooks): item index → JPEG bytes."""
    extras: dict[int, Extras] = field(default_factory=dict)
    """What the vendor sent beyond the read (candidates, plate box, image size, vehicle
    year and orientation): position in ``submissions`` → extras."""


@dataclass
class ResultBuilder:
    """Collects an adapter's outcomes item by item, then freezes them into a result."""

    submissions: list[tuple[int, ReadSubmission]] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    ignored: int = 0
    images: dict[int, bytes] = field(default_factory=dict)
    extras: dict[int, Extras] = field(default_factory=dict)

    def add(
        self, index: int, outcome: ReadSubmission | list[ItemError], extras: Extras | None = None
    ) -> None:
        """Keep a read of item ``index`` (with what the vendor sent beside it), or its
        errors."""
        if isinstance(outcome, ReadSubmission):
            if extras is not None and (extras.candidates or extras.has_details()):
                self.extras[len(self.submissions)] = extras
            self.submissions.append((index, outcome))
        else:
            self.errors.extend(outcome)

    def ignore(self) -> None:
        """Count one item accepted and deliberately ignored."""
        self.ignored += 1

    def result(self) -> AdapterResult:
        return AdapterResult(self.submissions, self.errors, self.ignored, self.images,
                             self.extras)


class Adapter(Protocol):
    """A wire format: turns a body into reads and per-item errors."""

    name: str
    version: str
    content_types: tuple[str, ...]

    def parse(
        self, body: bytes, *, content_type: str | None = None, camera_hint: str | None = None
    ) -> AdapterResult:
        """Parse ``body``; raise `MalformedBody` or `BatchTooLarge` only for the whole body."""
        ...


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, lower-case, without parameters."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def check_size(body: bytes) -> None:
    """Raise `BatchTooLarge` when ``body`` is over `MAX_BODY_BYTES`."""
    if len(body) > MAX_BODY_BYTES:
        raise BatchTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")


def check_count(count: int) -> None:
    """Raise `BatchTooLarge` when a batch holds more than `MAX_BATCH_ITEMS` items."""
    if count > MAX_BATCH_ITEMS:
        raise BatchTooLarge(f"the batch holds {count} items, more than {MAX_BATCH_ITEMS}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not a JSON number")


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
"""A JSON escape of a UTF-16 surrogate: a pair is one character, a lone one is no text."""


def loads(text: str) -> Any:
    """Strict JSON: no NaN or Infinity, bounded nesting, no lone UTF-16 surrogate (JSON
    can escape one, ``"\\ud800"``, but it is no character: it can be neither stored nor
    quoted back as UTF-8); raise `ValueError` if not such JSON."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    # (the search costs ~0.03 ms on a 1,000-read body, against ~0.6 ms to parse it)
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise ValueError("a string holds a lone UTF-16 surrogate (an escape such as "
                         "\\ud800 that is no character)")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def decode(body: bytes) -> str:
    """``body`` as UTF-8 text (a byte-order mark is allowed)."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"the body is not UTF-8 text (byte {exc.start})") from None


def load_body(body: bytes) -> Any:
    """The JSON value of a whole body; raise `MalformedBody` if it is not JSON."""
    check_size(body)
    try:
        return loads(decode(body))
    except ValueError as exc:
        raise MalformedBody(f"the body is not JSON: {_first_line(exc)}") from None


def json_items(value: Any) -> list[Any]:
    """The items of a JSON body: the elements of an array, or the single object.

    Raise `MalformedBody` for any other top-level type, `BatchTooLarge` for too many items.
    """
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        check_count(len(value))
        return value
    raise MalformedBody(f"the body must be a JSON object or an array, not {json_type(value)}")


def ndjson_lines(body: bytes) -> Iterator[tuple[int, Any | ValueError]]:
    """Each non-blank line of an NDJSON body as (item index, JSON value or the parse error).

    Blank lines are skipped and take no index. A line that is not JSON is an item error
    for the caller to report, not a whole-body error. Raise `BatchTooLarge` for too many.
    """
    check_size(body)
    lines = [line for line in body.splitlines() if line.strip()]
    check_count(len(lines))
    for index, line in enumerate(lines):
        try:
            text = line.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield index, ValueError(f"line is not UTF-8 text (byte {exc.start})")
            continue
        try:
            yield index, loads(text)
        except ValueError as exc:
            yield index, ValueError(f"line is not JSON: {_first_line(exc)}")


def json_type(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _first_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:1].lower() + text[1:200]
