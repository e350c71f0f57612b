"""Reading hot-list files: CSV with a header row, and NCIC-style extracts (pipe-delimited or
fixed-width). Each parser turns a file into ``SourceRow``s, numbered by their line in the
file, so that a bad row is reported where the user can find it.

The layouts are documented in ``docs/hotlists.md``; samples are in ``docs/samples/``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FileFormat = Literal["auto", "csv", "ncic-pipe", "ncic-fixed"]

CSV_ALIASES: Mapping[str, str] = {
    **dict.fromkeys(
        ("plate", "plate_number", "license_plate", "licence_plate", "lic", "lpn", "tag",
         "plate_no", "vrm"), "plate"),
    **dict.fromkeys(("region", "state", "lis", "plate_state", "st", "jurisdiction"), "region"),
    **dict.fromkeys(("reason", "description", "notes", "note", "comment", "mis"), "reason"),
    **dict.fromkeys(
        ("case_number", "case", "case_no", "oca", "incident", "incident_number"), "case_number"),
    **dict.fromkeys(
        ("expires", "expiry", "expires_at", "expiration", "exp", "exp_date", "expiry_date"),
        "expires"),
    **dict.fromkeys(("priority", "prio", "level", "pri"), "priority"),
    **dict.fromkeys(("category", "list_category", "entry_category"), "category"),
    **dict.fromkeys(("file_type", "source_file", "ncic_file", "file"), "file_type"),
}  # fmt: skip
"""Header names accepted in CSV files (compared lower-case, spaces as underscores)."""

NCIC_FIELDS: Mapping[str, str] = {
    "LIC": "plate",
    "LIS": "region",
    "OCA": "case_number",
    "MIS": "reason",
    "EXP": "expires",
    "PRI": "priority",
}
"""NCIC mnemonics we read; others (``NIC``, ``LIT``, ``LIY``, ``VIN``, ``VMA``…) are kept
out of the list, except ``NIC``, which stands in for a missing ``OCA``."""

NCIC_PIPE_DEFAULT = ("LIC", "LIS", "OCA", "NIC", "MIS", "EXP")
"""Field order of a pipe-delimited extract without a header line."""

NCIC_FIXED = (
    ("LIC", 0, 10),
    ("LIS", 10, 12),
    ("LIT", 12, 14),
    ("OCA", 14, 34),
    ("NIC", 34, 44),
    ("EXP", 44, 52),
    ("MIS", 52, None),
)
"""Fixed-width columns (0-based, end exclusive): name, start, end (``None``: to line end)."""

NCIC_FIXED_MIN_WIDTH = 12
"""A fixed-width record must hold at least the plate and its state."""


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row of a file: its line number, its fields by canonical name, or why the
    line could not be split into fields."""

    line: int
    fields: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None


def detect_format(text: str, filename: str = "") -> FileFormat:
    """Guess a file's layout: ``.csv`` names and comma headers are CSV, a pipe in the first
    data line is a pipe-delimited NCIC extract, anything else fixed-width."""
    if filename.lower().endswith(".csv"):
        return "csv"
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if "|" in line:
            return "ncic-pipe"
        if "," in line:
            return "csv"
        return "ncic-fixed"
    return "csv"


def parse_file(text: str, fmt: FileFormat = "auto", filename: str = "") -> list[SourceRow]:
    """The rows of a hot-list file in layout ``fmt`` (``auto``: see ``detect_format``)."""
    if fmt == "auto":
        fmt = detect_format(text, filename)
    if fmt == "csv":
        return parse_csv(text)
    if fmt == "ncic-pipe":
        return parse_ncic_pipe(text)
    return parse_ncic_fixed(text)


def _canonical_header(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_").lstrip("\ufeff")


def parse_csv(text: str) -> list[SourceRow]:
    """CSV with a header row naming the columns (aliases in ``CSV_ALIASES``); unknown columns
    are ignored, a header without a plate column is one error on line 1."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        return []
    names = [CSV_ALIASES.get(_canonical_header(h), "") for h in header]
    if "plate" not in names:
        return [SourceRow(line=1, error="header has no plate column (e.g. `plate`)")]
    rows: list[SourceRow] = []
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(names):
            rows.append(SourceRow(line, error=f"{len(record)} fields, header has {len(names)}"))
            continue
        fields = {name: cell for name, cell in zip(names, record, strict=False) if name}
        rows.append(SourceRow(line, fields))
    return rows


def _from_ncic(values: Mapping[str, str]) -> dict[str, str]:
    fields = {NCIC_FIELDS[k]: v.strip() for k, v in values.items() if k in NCIC_FIELDS}
    if not fields.get("case_number") and values.get("NIC", "").strip():
        fields["case_number"] = values["NIC"].strip()
    return fields


def parse_ncic_pipe(text: str) -> list[SourceRow]:
    """Pipe-delimited NCIC extract. A first line made only of mnemonics (``LIC|LIS|OCA…``)
    names the fields; without it the order is ``NCIC_PIPE_DEFAULT``. ``#`` lines are comments."""
    rows: list[SourceRow] = []
    order: tuple[str, ...] = NCIC_PIPE_DEFAULT
    seen_data = False
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("|")
        if not seen_data and "LIC" in [c.strip().upper() for c in cells]:
            order = tuple(c.strip().upper() for c in cells)
            seen_data = True
            continue
        seen_data = True
        if len(cells) > len(order):
            rows.append(SourceRow(number, error=f"{len(cells)} fields, layout has {len(order)}"))
            continue
        rows.append(SourceRow(number, _from_ncic(dict(zip(order, cells, strict=False)))))
    return rows


def parse_ncic_fixed(text: str) -> list[SourceRow]:
    """Fixed-width NCIC extract in the columns of ``NCIC_FIXED``; ``#`` lines are comments."""
    rows: list[SourceRow] = []
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        if len(line) < NCIC_FIXED_MIN_WIDTH:
            rows.append(
                SourceRow(number, error=f"record is {len(line)} characters, needs at least 12")
            )
            continue
        values = {name: line[start:end] for name, start, end in NCIC_FIXED}
        rows.append(SourceRow(number, _from_ncic(values)))
    return rows


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that was not imported: its line in the file (or position in the rows given)."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did. ``errors`` lists the rows left out (with ``on_error="keep"``)."""

    list_id: int
    name: str
    rows: int
    imported: int
    already_expired: int
    replaced: bool
    errors: tuple[RowError, ...] = ()
    flags: tuple[str, ...] = ()
    """What screening found in the list's words and its entries' (an alarm for supervisors;
    policy decides on each entry's screened class and flags when a hit comes)."""
    flagged_entries: int = 0
    """Entries whose own reason or case number raised a flag the list's words did not."""
    screened_classes: tuple[str, ...] = ()
    """The classes policy will see for the imported entries."""
    file_types: tuple[str, ...] = ()
    """The source file types of the imported entries (the list's, where an entry names none),
    each allowed by the owner's law packs."""
