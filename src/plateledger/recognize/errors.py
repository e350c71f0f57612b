"""Errors of recognition and of the camera agent.

    RecognizeError
    ├── ImageError       the input is not an image we can read (corrupt, empty, too big, …)
    ├── VideoError       a video source cannot be opened
    └── EngineError      an unknown engine name, or a model that will not load
"""

from __future__ import annotations


class RecognizeError(Exception):
    """Base of every error this package raises on purpose."""


class ImageError(RecognizeError):
    """The input is not an image that can be read: corrupt, truncated, empty, too large."""


class VideoError(RecognizeError):
    """A video file or stream cannot be opened."""


class EngineError(RecognizeError):
    """An unknown recognition engine, or a model that cannot be loaded."""
