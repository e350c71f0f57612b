"""Loading a frame from bytes, a file or an array, with limits that protect the agent."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from plateledger.recognize.errors import ImageError

MAX_PIXELS = 50_000_000
"""Largest frame accepted (50 MP): bigger ones are refused rather than risk memory."""

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest image file read."""

FORMATS = ("JPEG", "PNG", "BMP", "WEBP", "TIFF", "PPM")
"""The image formats a frame may come in (Pillow's names). Pillow reads many more, some
through outside programs (EPS and PostScript through Ghostscript): a frame in any other
format is refused before a decoder looks at it."""

FrameSource = np.ndarray | bytes | Path


def load_frame(source: FrameSource) -> np.ndarray:
    """The frame as a contiguous ``uint8`` BGR array of shape ``(h, w, 3)``.

    ``source`` is encoded image bytes (one of `FORMATS`: JPEG, PNG, BMP, WebP, TIFF, PPM/PGM),
    a path to such a file,
    or an array (``h×w`` grey, ``h×w×3`` BGR, ``h×w×4`` BGRA). Raise `ImageError` for empty,
    corrupt, truncated, unsupported or oversized input.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise ImageError(f"cannot read `{source}`: {exc.strerror or exc}") from None
        if size > MAX_FILE_BYTES:
            raise ImageError(f"`{source}` is larger than {MAX_FILE_BYTES >> 20} MiB")
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise ImageError(f"cannot read `{source}`: {exc.strerror or exc}") from None
        return _from_bytes(data, str(source))
    if isinstance(source, bytes | bytearray | memoryview):
        return _from_bytes(bytes(source), "image")
    raise ImageError(f"unsupported frame source of type `{type(source).__name__}`")


def _from_bytes(data: bytes, name: str) -> np.ndarray:
    if not data:
        raise ImageError(f"`{name}` is empty")
    try:
        with warnings.catch_warnings():
            # PIL warns, then raises, on decompression bombs: we check the size ourselves
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"`{name}` has {width}×{height} pixels, more than {MAX_PIXELS:,}"
                )
            image.load()
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"`{name}` is not an image in a supported format "
                         f"({', '.join(FORMATS)})") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError(f"`{name}` is corrupt or truncated: {exc}") from None
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _from_array(array: np.ndarray) -> np.ndarray:
    if array.size == 0:
        raise ImageError("frame array is empty")
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ImageError(f"frame array has shape `{array.shape}`, expected (h, w, 3)")
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise ImageError(f"frame has more than {MAX_PIXELS:,} pixels")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.number):
            raise ImageError(f"frame array has dtype `{array.dtype}`, expected uint8")
        array = np.clip(array, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array[:, :, :3])
