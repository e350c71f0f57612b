"""Vendors' candidate plates are kept by confidence, not by the order they are listed in."""

from __future__ import annotations

import pytest

from plateledger.ingest.adapters.extras import CANDIDATES_READ, candidates
from plateledger.read import MAX_CANDIDATES


def test_the_most_confident_are_kept_whatever_the_order() -> None:
    listed = [{"plate": f"7AB{i:03d}", "confidence": 10 + i} for i in range(30)]
    kept = candidates(listed[::-1][10:] + listed[::-1][:10], 100)
    assert [c.plate for c in kept] == [f"7AB{i:03d}" for i in range(29, 19, -1)]
    assert len(kept) == MAX_CANDIDATES


def test_a_plate_listed_twice_keeps_its_higher_confidence_and_ties_keep_the_order_sent() -> None:
    kept = candidates([
        {"plate": "7ABC123", "confidence": 40},
        {"plate": "7ABD123", "confidence": 60},
        {"plate": "7ABE123", "confidence": 60},
        {"plate": "7abc 123", "confidence": 90},
    ], 100)
    assert [(c.plate, c.confidence) for c in kept] == [
        ("7ABC123", pytest.approx(0.9)), ("7ABD123", pytest.approx(0.6)),
        ("7ABE123", pytest.approx(0.6))]


def test_entries_past_the_first_thousand_are_not_looked_at() -> None:
    listed: list[object] = [{"plate": "7ABC123", "confidence": 50}]
    listed += ["not a candidate"] * (CANDIDATES_READ - 1)
    listed.append({"plate": "7XYZ999", "confidence": 99})
    assert [c.plate for c in candidates(listed, 100)] == ["7ABC123"]


def test_unreadable_entries_are_skipped() -> None:
    kept = candidates([
        {"plate": "", "confidence": 80}, {"plate": "7ABC123"}, {"confidence": 70},
        {"plate": "7ABC124", "confidence": float("nan")}, {"plate": "7ABC125", "score": 0.5},
    ], 1, score="score")
    assert [(c.plate, c.confidence) for c in kept] == [("7ABC125", 0.5)]
