"""Plate text of generated reads: normalised, keyed and misread like a real camera."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from plateledger.plates import confusion_key, normalize_plate
from plateledger.sim import City, default_plan

START = datetime(2025, 3, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def city() -> City:
    return City(default_plan(vehicles=8_000))


@pytest.fixture(scope="module")
def reads(city: City) -> pa.Table:
    return pa.concat_tables(city.generate(11, 100_000, START, 3.0))


def _sample(reads: pa.Table, n: int = 5_000) -> list[dict[str, object]]:
    rows = np.random.default_rng(0).choice(reads.num_rows, size=n, replace=False)
    sample: list[dict[str, object]] = reads.take(pa.array(rows)).to_pylist()
    return sample


def test_plate_is_the_raw_text_normalised(reads: pa.Table) -> None:
    for row in _sample(reads):
        assert normalize_plate(str(row["plate_raw"])) == row["plate"]


def test_every_plate_normalises_to_itself(reads: pa.Table) -> None:
    for plate in set(reads.column("plate").to_pylist()):
        assert normalize_plate(plate) == plate


def test_plate_key_equals_the_confusion_key_of_the_plate(reads: pa.Table) -> None:
    for row in _sample(reads):
        assert row["plate_key"] == confusion_key(str(row["plate"]))


def test_some_raw_plates_carry_the_separator_printed_on_the_plate(reads: pa.Table) -> None:
    raw = reads.column("plate_raw").to_pylist()
    assert any("-" in text for text in raw)
    assert any(" " in text for text in raw)


def test_misreads_are_within_the_configured_band(city: City, reads: pa.Table) -> None:
    registered = city.ground_truth().registered_plates
    plates = reads.column("plate").to_pylist()
    share = sum(p not in registered for p in plates) / len(plates)
    rates = city.plan.ocr
    # A substitution drawn for a plate without a confusable character is not made.
    assert 0.6 * rates.confusable + rates.other <= share <= rates.confusable + rates.other
    assert 0.03 <= share <= 0.08


def test_misreads_are_mostly_single_confusable_substitutions(
    city: City, reads: pa.Table
) -> None:
    registered = city.ground_truth().registered_plates
    wrong = [p for p in reads.column("plate").to_pylist() if p not in registered]
    lengths = {len(p) for p in registered}
    odd_length = sum(len(p) not in lengths for p in wrong)
    assert 0 < odd_length < 0.3 * len(wrong)


def test_misreads_have_lower_confidence(city: City, reads: pa.Table) -> None:
    registered = city.ground_truth().registered_plates
    plates = reads.column("plate").to_pylist()
    confidence = reads.column("confidence").to_numpy()
    wrong = np.array([p not in registered for p in plates])
    assert confidence[wrong].mean() < confidence[~wrong].mean() - 0.1
    assert ((confidence >= 0.0) & (confidence <= 1.0)).all()


def test_region_is_mostly_the_plates_state(reads: pa.Table) -> None:
    plates = reads.column("plate").to_pylist()
    regions = reads.column("region").to_pylist()
    california = [r for p, r in zip(plates, regions, strict=True)
                  if len(p) == 7 and p[0].isdigit() and p[1:4].isalpha()]
    share_ca = sum(r == "CA" for r in california) / len(california)
    assert 0.9 < share_ca < 0.99
    assert "" in regions
    assert {"NV", "OR", "AZ", "TX"} <= set(regions)
