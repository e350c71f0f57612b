"""CSV for people who open it in a spreadsheet (OWASP's guidance on CSV injection).

Text reaches a CSV from cameras (a vehicle make), officers (a reason, a case number) and
administrators (an agency's custodian): a cell whose text starts as a formula would —
``=``, ``+``, ``-``, ``@``, a tab or a carriage return — gets a leading apostrophe, so a
spreadsheet shows it as text, unless the text is a number (``-122.08`` stays a number).
Rows end in CRLF, as RFC 4180 has them: the csv module then quotes a cell that holds a
carriage return, where with ``\\n`` line ends it writes the ``\\r`` bare and a spreadsheet
starts a new row — whose first cell, unprefixed, it would run.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINE_END = "\r\n"


def cell(value: object) -> object:
    """``value`` as a CSV cell: ``None`` empty, formula-like text prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _number(value):
        return "'" + value
    return value


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def writer(out: Any) -> Any:
    """A ``csv.writer`` on ``out`` with CRLF row ends (cells still go through `cell`)."""
    return csv.writer(out, lineterminator=LINE_END)


def dict_writer(out: Any, fieldnames: Sequence[str], **options: Any) -> csv.DictWriter[str]:
    """A ``csv.DictWriter`` on ``out`` with CRLF row ends (cells still go through `cell`)."""
    return csv.DictWriter(out, fieldnames=fieldnames, lineterminator=LINE_END, **options)
