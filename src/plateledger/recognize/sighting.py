"""Merging a plate's consecutive sightings into one read.

A car in front of a camera is recognised in many frames, and not always the same way
(``7ABC123`` in one frame, ``7A8C123`` in the next). Recognitions of one camera whose
plates are within one character of each other (confusable characters counted cheap) and
that follow each other within ``gap`` seconds are one sighting: it keeps the best read, the
first and last times, a read id that is fixed from its first recognition, and every
reading of the plate across its frames (the best probability of each) as the read's
candidates: a plate read ``7A8C123`` in its best frame is still found by an exact search
for ``7ABC123`` read in another.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from plateledger.plates import plate_distance
from plateledger.read import derive_read_id
from plateledger.recognize.recognizer import Recognition, merged_readings, native_evidence

SAME_PLATE_DISTANCE = 1.0
"""Two reads at most this far apart (`plate_distance`) are taken for the same plate."""


@dataclass
class Sighting:
    """One vehicle seen by one camera: its best recognition and first/last times."""

    camera_id: str
    read_id: uuid.UUID
    best: Recognition
    first_seen: datetime
    last_seen: datetime
    frames: int = 1
    plates: set[str] = field(default_factory=set)
    readings: dict[str, float] = field(default_factory=dict)
    """Every plate read in the sighting's frames, with its best probability."""

    def __post_init__(self) -> None:
        merged_readings(self.best.readings().items(), self.readings)

    def add(self, recognition: Recognition) -> None:
        """Fold in a later recognition of the same plate."""
        self.frames += 1
        self.plates.add(recognition.plate)
        merged_readings(recognition.readings().items(), self.readings)
        self.last_seen = max(self.last_seen, recognition.ts)
        if recognition.confidence > self.best.confidence:
            self.best = recognition

    def submission(self, lat: float | None = None, lon: float | None = None) -> dict[str, object]:
        """The sighting as a native read (`plateledger.read.ReadSubmission` fields); its
        time is the first sighting's."""
        body: dict[str, object] = {
            "read_id": str(self.read_id),
            "camera_id": self.camera_id,
            "ts": self.first_seen.isoformat().replace("+00:00", "Z"),
            "plate": self.best.plate,
            "confidence": round(min(1.0, max(0.0, self.best.confidence)), 4),
            "region": self.best.region,
            "region_confidence": round(min(1.0, max(0.0, self.best.region_confidence)), 4),
        }
        body |= native_evidence(self.readings, self.best.box)
        if lat is not None and lon is not None:
            body["lat"], body["lon"] = lat, lon
        return body

    def to_json(self, lat: float | None = None, lon: float | None = None) -> str:
        """`submission` as compact JSON."""
        return json.dumps(self.submission(lat, lon), separators=(",", ":"))


class SightingMerger:
    """Turns a time-ordered stream of one camera's recognitions into sightings."""

    def __init__(self, camera_id: str, *, gap: timedelta = timedelta(seconds=3)) -> None:
        self.camera_id = camera_id
        self.gap = gap
        self._open: list[Sighting] = []

    def add(self, recognition: Recognition) -> list[Sighting]:
        """Take one recognition; return the sightings it closed (their gap is over)."""
        closed = self.close_before(recognition.ts - self.gap)
        for sighting in self._open:
            if any(plate_distance(recognition.plate, p) <= SAME_PLATE_DISTANCE
                   for p in sighting.plates):
                sighting.add(recognition)
                return closed
        self._open.append(Sighting(
            camera_id=self.camera_id,
            read_id=derive_read_id(self.camera_id, recognition.ts, recognition.plate),
            best=recognition,
            first_seen=recognition.ts,
            last_seen=recognition.ts,
            plates={recognition.plate},
        ))
        return closed

    def close_before(self, moment: datetime) -> list[Sighting]:
        """Close and return the sightings last seen before ``moment``."""
        closed = [s for s in self._open if s.last_seen < moment]
        self._open = [s for s in self._open if s.last_seen >= moment]
        return closed

    def flush(self) -> list[Sighting]:
        """Close and return every open sighting (end of the stream)."""
        closed, self._open = self._open, []
        return closed
