"""The plate detector: the project's own model, on real photos and on what is not a plate.

The real photos (../shared/data/plates-real, or $PLATELEDGER_PLATES_REAL) are never copied
into the project: without them the tests that read them skip. The finder never trained on
the UCSD photos read here (training/plate_detector.py reads only the Open Images ones).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.recognition.finding import centre_on, labelled
from bench.recognition.real import DATA, photos
from plateledger.recognize import load_recognizer
from plateledger.recognize.detect import Line, LineDetector
from plateledger.recognize.engine import DetectorRecognizer
from plateledger.recognize.errors import EngineError
from plateledger.recognize.framing import Roi
from plateledger.recognize.localize import Box
from plateledger.recognize.plates import MODEL, PlateFinder

real_photos = pytest.mark.skipif(
    not (DATA / "labels.csv").exists(),
    reason=f"real labelled photos not present at {DATA} (licensed; never in the project)",
)


@pytest.fixture(scope="module")
def finder() -> PlateFinder:
    return PlateFinder()


@real_photos
def test_it_finds_the_plates_of_real_parking_lot_photos_it_never_learned_from(
    finder: PlateFinder,
) -> None:
    items = [i for i in labelled("dev") if i.source == "ucsd-stills"][:30]
    found = 0
    for item in items:
        frame = cv2.imread(str(item.path), cv2.IMREAD_COLOR)
        boxes = [p.box for p in finder.plates(frame)]
        found += any(centre_on(b, item.boxes[0]) for b in boxes)
        assert all(b.x >= 0 and b.x + b.w <= 640 and b.y >= 0 and b.y + b.h <= 480
                   for b in boxes)
    assert found >= 28, f"{found} of {len(items)}"


@real_photos
def test_a_region_of_interest_limits_where_plates_are_found_in_frame_pixels(
    finder: PlateFinder,
) -> None:
    item = next(i for i in labelled("dev") if i.source == "ucsd-stills")
    frame = cv2.imread(str(item.path), cv2.IMREAD_COLOR)
    plate = item.boxes[0]
    # a region around the plate: the plate is found there, in the frame's pixels
    around = Roi((plate.x - plate.w) / 640, (plate.y - plate.h) / 480,
                 3 * plate.w / 640, 3 * plate.h / 480)
    assert any(centre_on(p.box, plate) for p in finder.plates(frame, around))
    # a region beside it: nothing found lies on the plate, nothing outside the region
    beside = Roi(0.0, 0.0, plate.x / 640 * 0.9, 1.0)
    found = finder.plates(frame, beside)
    assert not any(centre_on(p.box, plate) for p in found)
    assert all(p.box.x + p.box.w <= plate.x for p in found)


@real_photos
def test_boxes_are_in_the_frame_pixels_of_a_large_frame_it_scales_down(
    finder: PlateFinder,
) -> None:
    """A photo enlarged 4× into a 2560×1920 frame is looked at scaled to 1,280 px: the
    plate's box comes back in the large frame's pixels."""
    item = next(i for i in labelled("dev") if i.source == "ucsd-stills")
    frame = cv2.resize(cv2.imread(str(item.path), cv2.IMREAD_COLOR), None, fx=4, fy=4)
    plate = item.boxes[0]
    big = Box(plate.x * 4, plate.y * 4, plate.w * 4, plate.h * 4)
    found = [p.box for p in finder.plates(frame)]
    assert any(b.iou(big) >= 0.3 for b in found), (found, big)


@real_photos
def test_the_engine_reads_nothing_outside_its_region_of_interest() -> None:
    """A region whose edge cuts through the plate: no read reaches past it, and the text
    detector looks only inside it, with plate finding as without."""
    item = photos("dev")[0]
    x, _y, w, _h = item.box
    edge = x + 0.6 * w
    for find_plates in (True, False):
        engine = DetectorRecognizer(roi=Roi(0.0, 0.0, edge / 640, 1.0), find_plates=find_plates)
        reads = engine.recognize(item.path)
        assert all(r.box[0] + r.box[2] <= round(edge) + 1 for r in reads), (find_plates, reads)
        assert all(r.plate != item.plate for r in reads)


def test_grey_and_four_channel_frames_are_taken(finder: PlateFinder) -> None:
    grey = np.full((120, 160), 90, np.uint8)
    bgra = np.full((120, 160, 4), 90, np.uint8)
    assert finder.plates(grey) == [] and finder.plates(bgra) == []


def test_a_region_of_interest_at_the_frames_edge_or_a_pixel_wide_is_taken(
    finder: PlateFinder,
) -> None:
    frame = np.full((301, 303, 3), 128, np.uint8)
    for roi in (Roi(0.5, 0.0, 0.5, 1.0), Roi(0.9995, 0.0, 0.0005, 1.0)):
        area = roi.box(303, 301)
        assert area.x + area.w <= 303 and area.w >= 1
        assert finder.plates(frame, roi) == []
    engine = DetectorRecognizer(roi=Roi(0.9995, 0.0, 0.0005, 1.0))
    assert engine.recognize(frame) == []


def test_a_blank_or_noisy_frame_has_no_plate(finder: PlateFinder) -> None:
    grey = np.full((720, 1280, 3), 128, np.uint8)
    noise = np.random.default_rng(3).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    assert finder.plates(grey) == []
    assert len(finder.plates(noise)) <= 1


def test_frames_of_any_size_are_taken_and_large_ones_are_scaled_down(
    finder: PlateFinder,
) -> None:
    for shape in ((37, 53, 3), (481, 641, 3), (1080, 1920, 3), (2160, 3840, 3)):
        prob, scale = finder.probabilities(np.zeros(shape, np.uint8))
        assert scale == min(1.0, 1280 / max(shape[:2]))
        assert prob.shape == (-(-round(shape[0] * scale) // 4), -(-round(shape[1] * scale) // 4))


def test_a_missing_or_corrupt_model_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="cannot load plate detector"):
        PlateFinder(tmp_path / "absent.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not a model")
    with pytest.raises(EngineError, match="cannot load plate detector"):
        PlateFinder(corrupt)


def test_the_weights_ship_in_the_package_small_with_a_card_naming_their_sources() -> None:
    """"weights inside the package, ≤ 20 MB"; the card names the photos it learned from
    (Open Images, CC BY) and that the UCSD photos only measure it."""
    assert MODEL.is_file() and MODEL.stat().st_size <= 20 * 1024 * 1024
    record = json.loads(MODEL.with_suffix(".json").read_text())
    assert len(record["open_images_ids"]) == record["photos"] == 280
    assert (record["steps"], record["batch"], record["weights"]) == (3500, 16, 56257)
    # Open Images image ids only (16 hex digits), never a UCSD photo's name
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in record["open_images_ids"])
    card = (MODEL.parent / "PLATES.md").read_text()
    assert "CC BY 2.0" in card and "CC BY 4.0" in card and "Never the UCSD" in card
    session = PlateFinder()._session
    options = session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert session.get_providers() == ["CPUExecutionProvider"]


class _Watched(LineDetector):
    """The real text detector, counting where it is asked to look."""

    def __init__(self) -> None:
        super().__init__()
        self.whole: int = 0
        self.around: int = 0

    def lines(self, frame: np.ndarray, roi: Roi | None = None) -> list[Line]:
        self.whole += 1
        return super().lines(frame, roi)

    def lines_in(self, frame: np.ndarray, area: Box, scale: float) -> list[Line]:
        self.around += 1
        return super().lines_in(frame, area, scale)


@real_photos
def test_the_text_detector_mostly_looks_only_around_found_plates() -> None:
    """On most photos the plate found is read and the whole frame is never searched; where
    nothing plate-like is read around the plates found, it is."""
    watched = _Watched()
    engine = DetectorRecognizer(detector=watched)
    items = photos("dev")[:20]
    whole = exact = 0
    for item in items:
        watched.whole = 0
        reads = engine.recognize(item.path)
        exact += bool(reads) and reads[0].plate == item.plate
        whole += watched.whole
    assert watched.around >= 20
    assert whole <= 5, f"the whole frame searched for {whole} of {len(items)}"
    assert exact >= 16, f"{exact} of {len(items)}"


def test_where_no_plate_is_read_around_what_was_found_the_whole_frame_is_searched() -> None:
    """Large black characters on white fill the frame: not a plate's shape, and nothing
    plate-like is read around the bits the finder takes for plates; the engine still reads
    them, looking over the whole frame. A blank frame has nothing anywhere."""
    frame = np.full((480, 640, 3), 255, np.uint8)
    cv2.putText(frame, "7ABC123", (40, 280), cv2.FONT_HERSHEY_SIMPLEX, 3.2, (0, 0, 0), 12)
    watched = _Watched()
    engine = DetectorRecognizer(detector=watched)
    assert engine._finder is not None and engine._finder.plates(frame)  # bits of letters
    reads = engine.recognize(frame)
    assert watched.around >= 1 and watched.whole == 1
    assert reads and reads[0].plate == "7ABC123"
    watched.whole = watched.around = 0
    assert engine.recognize(np.full((480, 640, 3), 128, np.uint8)) == []
    assert watched.whole == 1 and watched.around == 0


def test_without_plate_finding_the_engine_searches_the_whole_frame() -> None:
    frame = np.full((480, 640, 3), 255, np.uint8)
    watched = _Watched()
    DetectorRecognizer(detector=watched, find_plates=False,
                       finder=PlateFinder()).recognize(frame)
    assert watched.whole == 1 and watched.around == 0


def test_plate_finding_is_the_default_engines_option_and_no_other_engines() -> None:
    assert load_recognizer("rapidocr")._finder is not None  # type: ignore[attr-defined]
    assert load_recognizer("rapidocr", find_plates=False)._finder is None  # type: ignore[attr-defined]
    for engine in ("rapidocr-full", "rapidocr-edge"):
        for find_plates in (True, False):
            with pytest.raises(EngineError, match="plate finding option"):
                load_recognizer(engine, find_plates=find_plates)


def test_the_cli_option_reaches_the_engine(tmp_path: Path) -> None:
    from plateledger.cli.recognize import _recognizer

    assert _recognizer("rapidocr", None, None)._finder is not None  # type: ignore[attr-defined]
    assert _recognizer("rapidocr", None, None, False)._finder is None  # type: ignore[attr-defined]


@real_photos
def test_the_training_script_trains_and_exports_a_model_the_finder_loads(
    tmp_path: Path,
) -> None:
    pytest.importorskip("torch", reason="training needs PyTorch (`pip install -e .[train]`)")
    pytest.importorskip("onnx", reason="the ONNX export needs `onnx` (`.[train]`)")
    from training.plate_detector import main

    out = tmp_path / "plates.onnx"
    main(["--data", str(DATA), "--steps", "2", "--batch", "2", "--threads", "1",
          "--out", str(out)])
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["steps"] == 2 and len(record["open_images_ids"]) == 280
    prob, _ = PlateFinder(out).probabilities(np.zeros((480, 640, 3), np.uint8))
    assert prob.shape == (120, 160)


@real_photos
def test_an_unsure_read_around_a_found_plate_sends_the_engine_over_the_whole_frame_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`RECHECK`, `RECHECK_SHORTER`: where the best read around the plates found is less
    sure, or shorter, than they say, the whole frame is searched as well and the best read
    of both wins."""
    import plateledger.recognize.engine as engine_module

    item = photos("dev")[1]
    for recheck, shorter, whole in ((0.0, 0, 0), (1.01, 0, 1), (0.0, 100, 1)):
        monkeypatch.setattr(engine_module, "RECHECK", recheck)
        monkeypatch.setattr(engine_module, "RECHECK_SHORTER", shorter)
        watched = _Watched()
        reads = DetectorRecognizer(detector=watched).recognize(item.path)
        assert watched.around >= 1 and watched.whole == whole, recheck
        assert reads[0].plate == item.plate
