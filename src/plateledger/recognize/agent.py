"""The edge agent: frames in, merged reads out, through a durable spool to the server.

    source ──► recogniser ──► SightingMerger ──► Spool (SQLite, fsync) ──► SenderThread ──► server

Recognition runs in the calling thread; sending runs in a `SenderThread`, so a slow or
absent server never stalls the camera. A bad frame is counted and skipped. Whatever is in
the spool when the agent stops is sent by the next run.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from plateledger.recognize.errors import ImageError
from plateledger.recognize.recognizer import Recognizer
from plateledger.recognize.sender import ReadSender, SenderThread
from plateledger.recognize.sighting import Sighting, SightingMerger
from plateledger.recognize.source import frames
from plateledger.recognize.spool import Spool

log = logging.getLogger(__name__)


@dataclass
class AgentStats:
    """Counters for the progress display."""

    frames: int = 0
    bad_frames: int = 0
    recognitions: int = 0
    spooled: int = 0
    last_error: str = ""
    last_plates: list[str] = field(default_factory=list)


@dataclass
class AgentConfig:
    """What the agent needs besides its recogniser."""

    server: str
    key: str
    camera_id: str
    spool: Path
    every: float = 0.5
    gap: timedelta = timedelta(seconds=3)
    min_confidence: float = 0.5
    lat: float | None = None
    lon: float | None = None


class Agent:
    """Runs one camera; see the module docstring."""

    def __init__(self, recognizer: Recognizer, config: AgentConfig) -> None:
        self.recognizer = recognizer
        self.config = config
        self.stats = AgentStats()
        self.sender = ReadSender(config.server, config.key)
        self._thread: SenderThread | None = None

    @property
    def backlog(self) -> int:
        """Items waiting in the spool, as the sender last counted them."""
        return self._thread.backlog if self._thread else 0

    def run(self, source: str, *, stop: threading.Event | None = None,
            drain_timeout: float = 10.0) -> AgentStats:
        """Process ``source`` (see `frames`) until it ends or ``stop`` is set, then wait up
        to ``drain_timeout`` seconds for the spool to empty. Raise `VideoError` or
        FileNotFoundError if the source cannot be opened at all."""
        stop = stop or threading.Event()
        merger = SightingMerger(self.config.camera_id, gap=self.config.gap)
        spool = Spool(self.config.spool)  # first: it creates the file the sender opens
        self._thread = SenderThread(self.config.spool, self.sender)
        self._thread.start()
        try:
            with spool:
                for frame in frames(source, every=self.config.every):
                    if stop.is_set():
                        break
                    self.stats.frames += 1
                    try:
                        found = self.recognizer.recognize(frame.image, ts=frame.ts)
                    except ImageError as exc:
                        self.stats.bad_frames += 1
                        self.stats.last_error = str(exc)
                        log.warning("skipped frame `%s`: %s", frame.label, exc)
                        continue
                    closed = merger.close_before(frame.ts - self.config.gap)
                    for recognition in found:
                        if recognition.confidence < self.config.min_confidence:
                            continue
                        self.stats.recognitions += 1
                        closed += merger.add(recognition)
                    self._spool(spool, closed)
                self._spool(spool, merger.flush())
                self._wait_for_drain(spool, drain_timeout, stop)
        finally:
            self._thread.stop()
            self.sender.close()
        return self.stats

    def _spool(self, spool: Spool, sightings: list[Sighting]) -> None:
        for sighting in sightings:
            if spool.put(str(sighting.read_id), sighting.to_json(self.config.lat,
                                                                 self.config.lon)):
                self.stats.spooled += 1
                self.stats.last_plates = [*self.stats.last_plates[-4:], sighting.best.plate]
        if sightings and self._thread:
            self._thread.wake()

    def _wait_for_drain(self, spool: Spool, timeout: float, stop: threading.Event) -> None:
        waited = 0.0
        while waited < timeout and spool.backlog() and not stop.is_set():
            stop.wait(0.2)
            waited += 0.2
