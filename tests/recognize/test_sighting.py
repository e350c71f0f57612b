"""Consecutive recognitions of one plate make one read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plateledger.read import ReadSubmission
from plateledger.recognize import Recognition
from plateledger.recognize.sighting import SightingMerger

T0 = datetime(2024, 11, 24, 14, 0, tzinfo=UTC)


def seen(plate: str, seconds: float, confidence: float = 0.9) -> Recognition:
    return Recognition(plate, confidence, (confidence,) * len(plate), "CA", 0.8,
                       (0, 0, 90, 45), b"", T0 + timedelta(seconds=seconds))


def test_consecutive_sightings_merge_into_one_with_the_best_read() -> None:
    merger = SightingMerger("cam-1")
    closed = []
    for rec in [seen("7ABC123", 0, 0.7), seen("7A8C123", 0.5, 0.95), seen("7ABC123", 1, 0.8)]:
        closed += merger.add(rec)
    assert closed == []
    (sighting,) = merger.flush()
    assert sighting.best.plate == "7A8C123" and sighting.best.confidence == 0.95
    assert sighting.first_seen == T0 and sighting.last_seen == T0 + timedelta(seconds=1)
    assert sighting.frames == 3


def test_a_gap_longer_than_the_limit_starts_a_new_sighting() -> None:
    merger = SightingMerger("cam-1", gap=timedelta(seconds=3))
    merger.add(seen("7ABC123", 0))
    closed = merger.add(seen("7ABC123", 10))
    assert len(closed) == 1
    assert len(merger.flush()) == 1


def test_different_plates_are_different_sightings() -> None:
    merger = SightingMerger("cam-1")
    merger.add(seen("7ABC123", 0))
    merger.add(seen("5XYZ987", 0.5))
    assert sorted(s.best.plate for s in merger.flush()) == ["5XYZ987", "7ABC123"]


def test_a_sighting_is_a_valid_native_read_with_a_stable_id() -> None:
    def one() -> str:
        merger = SightingMerger("cam-1")
        merger.add(seen("7ABC123", 0))
        merger.add(seen("7ABC123", 1, 0.99))
        return merger.flush()[0].to_json()

    body = one()
    assert body == one()
    submission = ReadSubmission.model_validate_json(body)
    assert submission.plate == "7ABC123" and submission.camera_id == "cam-1"
    assert submission.ts == T0 and submission.read_id is not None


def test_a_sighting_carries_every_reading_of_its_frames_as_candidates() -> None:
    """The best frame read ``7A8C123``; another read ``7ABC123``, and the recogniser's
    second choice in the first frame was ``7ABC128``: all three travel with the read, each
    with its best probability, so an exact search for any of them finds it."""
    merger = SightingMerger("cam-1")
    first = seen("7ABC123", 0, 0.7)
    first = Recognition(**{**{f: getattr(first, f) for f in first.__slots__},
                           "candidates": (("7ABC123", 0.7), ("7ABC128", 0.2))})
    merger.add(first)
    merger.add(seen("7A8C123", 0.5, 0.95))
    merger.add(seen("7ABC123", 1, 0.8))
    (sighting,) = merger.flush()
    submission = ReadSubmission.model_validate_json(sighting.to_json())
    assert submission.plate == "7A8C123"
    assert [(c.plate, c.confidence) for c in submission.candidates] == [
        ("7A8C123", 0.95), ("7ABC123", 0.8), ("7ABC128", 0.2)]
    assert submission.plate_box is not None
    assert (submission.plate_box.w, submission.plate_box.h) == (90, 45)


def test_at_most_ten_readings_travel_and_unreadable_ones_are_left_out() -> None:
    alternatives = (*((f"7ABC1{d:02d}", 0.01 * d) for d in range(12)), ("", 0.99),
                    ("7-AB?", 0.9))
    rec = seen("7ABC199", 0, 0.6)
    rec = Recognition(**{**{f: getattr(rec, f) for f in rec.__slots__},
                         "candidates": alternatives, "box": (0, 0, 0, 0)})
    submission = ReadSubmission.model_validate(rec.evidence() | {
        "camera_id": "cam-1", "ts": T0, "plate": rec.plate, "confidence": rec.confidence})
    plates = [c.plate for c in submission.candidates]
    assert plates == ["7ABC199", *(f"7ABC1{d:02d}" for d in range(11, 2, -1))]
    assert submission.plate_box is None  # an empty box is not sent
