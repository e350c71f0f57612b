"""Where the agent's frames come from: an image file, a folder, a video file or a stream.

Every frame carries its time: a file's modification time, a video's start plus the
frame's position, a stream's arrival time. A frame that cannot be decoded is still yielded
(as raw bytes or a path) so that the agent reports it and carries on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from plateledger.recognize.errors import VideoError

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".ts", ".mjpeg"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff",
                            ".jfif", ".pgm", ".ppm"})
"""Files of a folder read as images; a folder's other files (notes, labels) are skipped."""

STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://")


@dataclass(frozen=True, slots=True)
class SourceFrame:
    """A frame (pixels, or a file still to decode), its time and where it came from:
    ``label`` names the frame (``clip.mp4#25``), ``file`` the file it came from."""

    image: np.ndarray | Path
    ts: datetime
    label: str
    file: str = ""


def is_stream(source: str) -> bool:
    """Whether ``source`` is a network stream URL."""
    return source.lower().startswith(STREAM_SCHEMES)


def frames(source: str, *, every: float = 0.5) -> Iterator[SourceFrame]:
    """Frames of ``source``: one per image file, or one per ``every`` seconds of video.
    In a folder, files that are neither images nor videos (by suffix) are skipped.

    Raise `VideoError` if a video or stream cannot be opened at all, FileNotFoundError if
    a path does not exist.
    """
    if is_stream(source):
        yield from _stream(source, every)
        return
    path = Path(source)
    if path.is_dir():
        for child in sorted(p for p in path.iterdir() if p.is_file()):
            if child.suffix.lower() in VIDEO_SUFFIXES:
                yield from _video(child, every)
            elif child.suffix.lower() in IMAGE_SUFFIXES:
                yield SourceFrame(child, _mtime(child), str(child), str(child))
        return
    if not path.exists():
        raise FileNotFoundError(f"`{source}` does not exist")
    if path.suffix.lower() in VIDEO_SUFFIXES:
        yield from _video(path, every)
    else:
        yield SourceFrame(path, _mtime(path), str(path), str(path))


def _mtime(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError:
        return datetime.now(UTC)


def _video(path: Path, every: float) -> Iterator[SourceFrame]:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise VideoError(f"cannot open video `{path}`")
    try:
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        fps = fps if 1.0 <= fps <= 240.0 else 25.0
        step = max(1, round(fps * every))
        # the recording started when its file was last written, minus its length
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0
        start = _mtime(path) - timedelta(seconds=max(0.0, count / fps))
        index = 0
        while True:
            if not capture.grab():
                break  # the end, or a truncated file: either way nothing more to read
            if index % step == 0:
                ok, image = capture.retrieve()
                if ok and image is not None:
                    yield SourceFrame(image, start + timedelta(seconds=index / fps),
                                      f"{path}#{index}", str(path))
            index += 1
        if count and index < count - 1:
            log.warning("video `%s` ended early at frame %d of %d", path, index, int(count))
    finally:
        capture.release()


def _stream(url: str, every: float) -> Iterator[SourceFrame]:
    """Frames of a live stream, reopened with back-off whenever it drops."""
    backoff = 1.0
    while True:
        capture = cv2.VideoCapture(url)
        if not capture.isOpened():
            log.warning("cannot open stream `%s`; retrying in %.0f s", url, backoff)
            time.sleep(backoff)
            backoff = min(60.0, backoff * 2)
            continue
        backoff = 1.0
        last = 0.0
        try:
            while True:
                if not capture.grab():
                    log.warning("stream `%s` dropped; reopening", url)
                    break
                now = time.monotonic()
                if now - last < every:
                    continue
                ok, image = capture.retrieve()
                if ok and image is not None:
                    last = now
                    yield SourceFrame(image, datetime.now(UTC), url)
        finally:
            capture.release()
