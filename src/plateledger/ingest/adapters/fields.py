"""Reading the fields of one vendor item, and validating the read built from them.

Adapters pull typed values out of an item with these functions, which raise `FieldError`
naming the vendor's field path; `validate` turns the collected values into a
`ReadSubmission` or into `ItemError`s whose ``field`` is the vendor's path, not ours.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from plateledger.ingest.batch import json_type
from plateledger.ingest.errors import ItemError
from plateledger.read import ReadSubmission

INGEST_NAMESPACE = uuid.UUID("0c6f1f5e-7d1a-4b55-9c1e-2f7a8e3d4b61")
"""Namespace of read ids derived from a vendor's own message ids."""


class FieldError(Exception):
    """One bad field of an item: ``field`` is the vendor's dotted path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def item_error(self, index: int) -> ItemError:
        return ItemError(index, self.field, self.message)


def show(value: Any, limit: int = 40) -> str:
    """A short rendering of user input, to quote between backticks."""
    text = value if isinstance(value, str) else json_repr(value)
    text = text.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_repr(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) > 10**40:
        return "a huge number"
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, list):
        return "[…]"
    return str(value)


def read_id(*parts: str) -> uuid.UUID:
    """A read id derived from a vendor's message ids: the same message, the same id."""
    return uuid.uuid5(INGEST_NAMESPACE, "\x1f".join(parts))


def obj(value: Any, path: str) -> dict[str, Any]:
    """``value`` as a JSON object."""
    if not isinstance(value, dict):
        where = f"`{path}`" if path else "item"
        raise FieldError(path, f"{where} must be an object, not {json_type(value)}")
    return value


def array(value: Any, path: str) -> list[Any]:
    """``value`` as a JSON array."""
    if not isinstance(value, list):
        raise FieldError(path, f"`{path}` must be an array, not {json_type(value)}")
    return value


def required(item: Mapping[str, Any], key: str, path: str) -> Any:
    """The value of ``key``, which must be present and not null."""
    value = item.get(key)
    if value is None:
        raise FieldError(path, f"`{path}` is required")
    return value


def text(value: Any, path: str) -> str:
    """``value`` as a string (numbers are accepted and written out)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**40:
        return str(value)
    raise FieldError(path, f"`{path}` must be a string, not {json_type(value)}")


def number(value: Any, path: str) -> float:
    """``value`` as a finite number (booleans and strings are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(path, f"`{path}` must be a number, not {json_type(value)}")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise FieldError(path, f"`{path}` must be a finite number, not `{show(value)}`")
    return result


def scaled(value: Any, path: str, top: float) -> float:
    """A confidence given on 0..``top`` (1 or 100), as 0..1."""
    result = number(value, path)
    if not 0.0 <= result <= top:
        raise FieldError(path, f"`{path}` must lie between 0 and {top:g}, not `{show(value)}`")
    # rounded so that 91.3 on 0..100 reads 0.913, not 0.9129999999999999
    return round(result / top, 9)


def epoch(value: Any, path: str, *, per_second: int) -> datetime:
    """An epoch time in seconds (``per_second`` 1) or milliseconds (1000), as UTC."""
    seconds = number(value, path) / per_second
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise FieldError(path, f"time `{show(value)}` is out of range") from None


def heading(value: Any, path: str) -> float:
    """A direction of travel in degrees, 0..360 (360 is north, as 0)."""
    result = number(value, path)
    if not 0.0 <= result <= 360.0:
        raise FieldError(path, f"`{path}` must lie between 0 and 360, not `{show(value)}`")
    return result % 360.0


def label(value: Any, limit: int) -> str:
    """A free-text vehicle label, cut to ``limit`` characters; "" if not a string."""
    return value.strip()[:limit] if isinstance(value, str) else ""


def validate(
    index: int, fields: Mapping[str, Any], paths: Mapping[str, str]
) -> ReadSubmission | list[ItemError]:
    """Build the read from ``fields`` (`ReadSubmission` field names, nested dicts allowed).

    Errors name the vendor path given in ``paths`` for our dotted field name, or our name
    when ``paths`` has none.
    """
    try:
        return ReadSubmission.model_validate(fields)
    except ValidationError as exc:
        errors: list[ItemError] = []
        for error in exc.errors(include_url=False):
            ours = _dotted(error["loc"])
            errors.append(ItemError(index, paths.get(ours, ours), _message(error)))
        return errors
    except (OverflowError, OSError):
        # a time so far from 1970 that the platform cannot represent it
        return [ItemError(index, paths.get("ts", "ts"), "time is out of range")]


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Mapping[str, Any]) -> str:
    msg = str(error["msg"])
    if error["type"] == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif error["type"] != "missing" and isinstance(error.get("input"), str | int | float):
        shown = show(error["input"])
        msg = f"{msg}, not `{shown}`" if shown.strip() else msg
    return msg[:1].lower() + msg[1:]
