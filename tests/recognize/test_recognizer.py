"""The recogniser on synthetic frames and on bad input."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plateledger.recognize import (
    MAX_PIXELS,
    EngineError,
    ImageError,
    Recognizer,
    load_frame,
    load_recognizer,
)
from plateledger.recognize.framing import DETECT_SIDE, detector_scale
from plateledger.recognize.synthetic import SyntheticFrame, render_frame, synthetic_frames

TEST_SEED = 7


def frame(index: int) -> SyntheticFrame:
    return list(synthetic_frames(index + 1, TEST_SEED))[index]


def test_a_synthetic_plate_is_read_with_its_box_crop_and_time(recognizer: Recognizer) -> None:
    shot = frame(0)
    when = datetime(2024, 11, 24, 14, 20, tzinfo=UTC)
    reads = recognizer.recognize(shot.image, ts=when)
    assert reads, "no plate found"
    best = reads[0]
    assert best.plate == shot.plate
    assert best.ts == when
    assert len(best.char_confidences) == len(best.plate)
    assert 0.0 < best.confidence <= 1.0
    x, y, w, h = best.box
    px, py, pw, ph = shot.box
    assert x < px + pw and px < x + w and y < py + ph and py < y + h  # boxes overlap
    assert Image.open(io.BytesIO(best.crop_jpeg)).format == "JPEG"


def test_jpeg_bytes_and_files_are_read_like_arrays(recognizer: Recognizer, tmp_path: Path) -> None:
    shot = frame(1)
    path = tmp_path / "frame.jpg"
    path.write_bytes(shot.jpeg(quality=95))
    from_file = [r.plate for r in recognizer.recognize(path)]
    from_bytes = [r.plate for r in recognizer.recognize(shot.jpeg(quality=95))]
    assert from_file == from_bytes
    assert shot.plate in from_file


def test_a_frame_without_a_plate_gives_no_read(recognizer: Recognizer) -> None:
    blank = np.full((720, 1280, 3), 128, dtype=np.uint8)
    assert recognizer.recognize(blank) == []


def test_a_region_is_only_ever_a_state_name_read_never_a_wrong_guess(
    recognizer: Recognizer,
) -> None:
    shots = [frame(i) for i in range(3)]
    for shot in shots:
        for read in recognizer.recognize(shot.image):
            if read.plate == shot.plate:
                assert read.region in ("", shot.region)


def test_synthetic_frames_are_reproducible_from_their_seed() -> None:
    a = render_frame(random.Random(3))
    b = render_frame(random.Random(3))
    assert a.plate == b.plate and np.array_equal(a.image, b.image)
    assert a.image.shape == (720, 1280, 3)


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(EngineError, match="unknown engine `tesseract`"):
        load_recognizer("tesseract")


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, format="PNG")
    return out.getvalue()


def _noise_png() -> bytes:
    pixels = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"this is not an image at all", "not an image in a supported format"),
        (_noise_png()[:5000], "corrupt or truncated"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "not an image in a supported format"),
    ],
    ids=["zero-bytes", "text", "truncated-png", "pdf"],
)
def test_bad_image_bytes_raise_a_clear_error(
    recognizer: Recognizer, data: bytes, message: str
) -> None:
    with pytest.raises(ImageError, match=message):
        recognizer.recognize(data)


def test_a_truncated_jpeg_is_refused(recognizer: Recognizer) -> None:
    data = frame(0).jpeg()
    with pytest.raises(ImageError, match="corrupt or truncated"):
        recognizer.recognize(data[: len(data) // 3])


def test_an_image_over_the_pixel_limit_is_refused_before_decoding() -> None:
    side = int(MAX_PIXELS**0.5) + 100
    with pytest.raises(ImageError, match="more than 50,000,000"):
        load_frame(_png(side, side))


def test_a_missing_file_is_an_image_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="cannot read"):
        load_frame(tmp_path / "nope.jpg")


def test_grey_and_bgra_arrays_become_bgr() -> None:
    assert load_frame(np.zeros((10, 20), dtype=np.uint8)).shape == (10, 20, 3)
    assert load_frame(np.zeros((10, 20, 4), dtype=np.uint8)).shape == (10, 20, 3)
    with pytest.raises(ImageError, match="shape"):
        load_frame(np.zeros((10, 20, 2), dtype=np.uint8))


@pytest.mark.parametrize(
    ("size", "scale"),
    [((1080, 1920), 1.0),   # full HD: never shrunk (a 60 px plate stays 60 px)
     ((720, 1280), 1.5),    # enlarged as far as MAX_ENLARGE
     ((480, 640), 1.5),
     ((1200, 1600), 1.2),   # enlarged up to the side
     ((2160, 3840), 0.5)],  # larger than the side: shrunk to it
)
def test_the_detector_sees_frames_up_to_full_hd_unshrunk(
    size: tuple[int, int], scale: float
) -> None:
    assert DETECT_SIDE == 1920
    assert detector_scale(*size) == pytest.approx(scale)
    assert detector_scale(2160, 3840, side=1280) == pytest.approx(1 / 3)
