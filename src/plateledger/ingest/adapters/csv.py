"""CSV files of reads: a header row, then one read per row.

Required columns: ``camera_id, ts, plate, confidence`` (``camera_id`` may be left out when
a camera hint is given); optional, the rest of `ReadSubmission`'s fields, flattened
(``vehicle_color``, ``image_plate``, …). Column names are case-insensitive and a few common
aliases are understood (`ALIASES`); unknown columns are ignored, empty cells are absent.
A row's errors name its line (1-based, the header is line 1): ``field`` is
``line 7: plate`` and ``index`` is the line number less 2.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from plateledger.ingest.adapters.fields import validate
from plateledger.ingest.batch import (
    AdapterResult,
    ResultBuilder,
    check_count,
    check_size,
)
from plateledger.ingest.errors import ItemError, MalformedBody
from plateledger.read import ReadSubmission

REQUIRED = ("camera_id", "ts", "plate", "confidence")
OPTIONAL = (
    "region", "region_confidence", "lat", "lon", "heading", "read_id",
    "vehicle_color", "vehicle_make", "vehicle_model", "vehicle_type",
    "image_plate", "image_overview",
)
ALIASES = {
    "timestamp": "ts",
    "time": "ts",
    "latitude": "lat",
    "longitude": "lon",
    "lng": "lon",
    "camera": "camera_id",
    "plate_number": "plate",
    "state": "region",
}
"""Other names accepted for a column (compared in lower case)."""

_NESTED = {
    "vehicle_color": ("vehicle", "color"),
    "vehicle_make": ("vehicle", "make"),
    "vehicle_model": ("vehicle", "model"),
    "vehicle_type": ("vehicle", "type"),
    "image_plate": ("images", "plate"),
    "image_overview": ("images", "overview"),
}
_EPOCH = re.compile(r"[0-9]+(\.[0-9]*)?")
Outcome = tuple[int, ReadSubmission | list[ItemError]]
Record = tuple[int, int, list[str] | csv.Error]
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
"""A byte that is not UTF-8, as decoding with ``surrogateescape`` leaves it."""


class CsvAdapter:
    """A CSV body with a header row."""

    name: str = "csv"
    version: str = "1"
    content_types: tuple[str, ...] = ("text/csv", "application/csv")

    def parse(
        self, body: bytes, *, content_type: str | None = None, camera_hint: str | None = None
    ) -> AdapterResult:
        """Parse ``body`` (UTF-8; a row holding bytes that are not fails, alone)."""
        check_size(body)
        text = body.decode("utf-8-sig", errors="surrogateescape")
        builder = ResultBuilder()
        lines = io.StringIO(text, newline="")
        for count, (index, outcome) in enumerate(rows(lines, camera_hint), 1):
            check_count(count)
            builder.add(index, outcome)
        return builder.result()


def iter_csv_batches(
    path: Path | str, batch_size: int, *, camera_hint: str | None = None
) -> Iterator[AdapterResult]:
    """The rows of the CSV file at ``path``, ``batch_size`` rows (reads or bad rows) at a
    time, read as they are needed: a file of any size takes the memory of one batch.

    Raise `MalformedBody` (on the first ``next``) if the header lacks a required column.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        builder = ResultBuilder()
        rows_in_batch = 0
        for index, outcome in rows(handle, camera_hint):
            builder.add(index, outcome)
            rows_in_batch += 1
            if rows_in_batch == batch_size:
                yield builder.result()
                builder, rows_in_batch = ResultBuilder(), 0
        if rows_in_batch:
            yield builder.result()


def records(lines: Iterable[str]) -> tuple[list[str], int, Iterator[Record]]:
    """The header row of the CSV text ``lines``, the line it ends on, and each record after
    it as (first line, last line, cells or the `csv.Error` it could not be read with),
    lines 1-based: a quoted cell may hold line breaks, so a record may span several lines.
    `rows` and the quarantine (`plateledger.ingest.quarantine.raw_items`) number items by
    this first line, so an item is kept as the record it was."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise MalformedBody("the CSV has no header row") from None
    except csv.Error as exc:
        raise MalformedBody(f"the CSV header cannot be read: {exc}") from None

    def each(end: int) -> Iterator[Record]:
        while True:
            start = end + 1
            try:
                row: list[str] | csv.Error = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row = exc
            end = reader.line_num
            yield start, end, row

    return header, reader.line_num, each(reader.line_num)


def rows(lines: Iterable[str], camera_hint: str | None = None) -> Iterator[Outcome]:
    """(item index, read or errors) for each data row of the CSV text ``lines``: the index
    is the row's first line less 2."""
    header, _, found = records(lines)
    columns = _columns(header, camera_hint)
    for start, _end, row in found:
        if isinstance(row, csv.Error):
            yield start - 2, [ItemError(start - 2, f"line {start}", f"row cannot be read: {row}")]
            continue
        if not any(cell.strip() for cell in row):
            continue
        # one search a row; the cells are looked at only in a row that has such a byte
        yield start - 2, _read(start, row, columns, camera_hint,
                               _NOT_UTF8.search("".join(row)) is not None)


def _columns(header: list[str], camera_hint: str | None) -> dict[int, tuple[str, str]]:
    """Column position → (our field name, the file's column name)."""
    known = set(REQUIRED) | set(OPTIONAL)
    columns: dict[int, tuple[str, str]] = {}
    seen: dict[str, str] = {}
    for position, raw in enumerate(header):
        name = raw.strip().lower()
        name = ALIASES.get(name, name)
        if name not in known:
            continue
        if name in seen:
            raise MalformedBody(f"the CSV header names `{name}` twice: `{seen[name]}` and `{raw}`")
        seen[name] = raw.strip()
        columns[position] = (name, raw.strip())
    missing = [n for n in REQUIRED if n not in seen and not (n == "camera_id" and camera_hint)]
    if missing:
        raise MalformedBody(
            "the CSV header lacks the required columns " + ", ".join(f"`{n}`" for n in missing)
        )
    return columns


def _read(
    line: int, row: list[str], columns: dict[int, tuple[str, str]], camera_hint: str | None,
    not_utf8: bool = False,
) -> ReadSubmission | list[ItemError]:
    fields: dict[str, Any] = {}
    paths: dict[str, str] = {"": f"line {line}"}
    if camera_hint:
        fields["camera_id"] = camera_hint
    for position, (name, column) in columns.items():
        cell = row[position].strip() if position < len(row) else ""
        target = _NESTED.get(name)
        ours = ".".join(target) if target else name
        paths[ours] = f"line {line}: {column}"
        if not cell:
            continue
        if not_utf8 and _NOT_UTF8.search(cell):  # never stored altered: the row fails
            return [ItemError(line - 2, paths[ours], "holds bytes that are not UTF-8 text")]
        if target:
            fields.setdefault(target[0], {})[target[1]] = cell
        elif name == "ts" and _EPOCH.fullmatch(cell):
            fields["ts"] = float(cell) if "." in cell else int(cell)
        else:
            fields[name] = cell
    for name in REQUIRED:
        paths.setdefault(name, f"line {line}: {name}")
    return validate(line - 2, fields, paths)
