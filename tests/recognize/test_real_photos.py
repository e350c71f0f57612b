"""The recogniser on a few real labelled photos, when they are present.

The photos (../shared/data/plates-real, or $PLATELEDGER_PLATES_REAL) are under a research
licence and are never copied into the project: without them these tests skip.
"""

from __future__ import annotations

import pytest

from bench.recognition.real import DATA, edits, photos, wilson
from plateledger.recognize import Recognizer, read_box

pytestmark = pytest.mark.skipif(
    not (DATA / "labels.csv").exists(),
    reason=f"real labelled photos not present at {DATA} (licensed; never in the project)",
)


def test_read_box_reads_most_labelled_plates_within_one_character(
    recognizer: Recognizer,
) -> None:
    items = photos("dev")[:12]
    close = 0
    for item in items:
        read = read_box(recognizer, item.path, item.box)
        close += read is not None and edits(read.plate, item.plate) <= 1
    assert close >= 9, f"{close} of {len(items)}"


def test_the_wilson_interval_brackets_the_proportion() -> None:
    low, high = wilson(40, 48)
    assert low < 40 / 48 < high and low > 0.6 and high < 0.95
