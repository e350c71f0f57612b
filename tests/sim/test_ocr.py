"""OCR errors on plate matrices."""

from __future__ import annotations

import numpy as np

from plateledger.plates import plate_distance
from plateledger.sim.ocr import CONFUSABLE, NO_ERROR, OTHER, misread
from plateledger.sim.plan import OcrRates
from plateledger.sim.registrations import CALIFORNIA, plate_text, unique_plates


def _misread_all(rates: OcrRates) -> tuple[list[str], list[str], np.ndarray]:
    rng = np.random.default_rng(3)
    plates = unique_plates(CALIFORNIA, 2_000, rng)
    before = [plate_text(row) for row in plates]
    lengths = (plates != 0).sum(axis=1).astype(np.int64)
    kind = misread(plates, lengths, rates, rng)
    after = [plate_text(row) for row in plates]
    assert [len(p) for p in after] == lengths.tolist()
    return before, after, kind


def test_a_confusable_error_swaps_one_character_for_its_look_alike() -> None:
    before, after, kind = _misread_all(OcrRates(confusable=1.0, other=0.0))
    for old, new, k in zip(before, after, kind, strict=True):
        if k == CONFUSABLE:
            assert plate_distance(old, new) == 0.25
        else:
            assert k == NO_ERROR and old == new
    assert (kind == CONFUSABLE).mean() > 0.8


def test_another_error_drops_or_adds_one_character() -> None:
    before, after, kind = _misread_all(OcrRates(confusable=0.0, other=1.0))
    assert (kind == OTHER).all()
    assert {len(new) - len(old) for old, new in zip(before, after, strict=True)} == {-1, 1}
    assert all(plate_distance(old, new) == 1.0 for old, new in zip(before, after, strict=True))


def test_without_error_rates_plates_are_read_as_printed() -> None:
    before, after, kind = _misread_all(OcrRates(confusable=0.0, other=0.0))
    assert before == after
    assert (kind == NO_ERROR).all()
