"""Reads are kept as read: formats are evidence, confidences mean something.

These tests use rendered plates and hand-made recogniser output only; the licensed real
photos are used by `test_real_photos.py`, which skips when they are absent.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from plateledger.plates.formats import ALPHABET
from plateledger.recognize import ImageError, Recognizer, load_recognizer, read_box
from plateledger.recognize.engine import signs_like, timestamp_like, words_like
from plateledger.recognize.formats import format_for_region
from plateledger.recognize.framing import Roi
from plateledger.recognize.reading import PlateRead, choose_for_state, read_plate, vote
from plateledger.recognize.synthetic import render_plate

ONE_SHORT_CEILING = 0.6
"""A read that shows signs of a skipped character must stay below this confidence."""


def row(ch: str = "", sure: float = 0.97, blank: float | None = None) -> np.ndarray:
    """One recogniser step: ``ch`` at ``sure`` (the rest blank), or a pure blank."""
    out = np.zeros(2 + len(ALPHABET), dtype=np.float32)
    if ch:
        out[2 + ALPHABET.index(ch)] = sure
        out[0] = 1.0 - sure if blank is None else blank
    else:
        out[0] = 1.0
    return out


def steps(text: str, sure: float = 0.97) -> np.ndarray:
    """Output that reads ``text`` one character per step with a blank after each."""
    rows = []
    for ch in text:
        rows += [row(ch, sure), row()]
    return np.stack(rows)


def test_a_real_looking_abc123_stays_abc123() -> None:
    read = read_plate(steps("ABC123"))
    assert read is not None
    assert read.text == "ABC123"
    assert read.candidates[0][0] == "ABC123"


def test_a_confusable_read_is_kept_raw_and_the_format_reading_is_a_candidate() -> None:
    read = read_plate(steps("7ABCO23"))  # a California shape with O where 0 belongs
    assert read is not None
    assert read.text == "7ABCO23"
    assert "7ABC023" in [text for text, _ in read.candidates]


def test_a_format_chooses_among_candidates_only_for_a_state_whose_name_was_read() -> None:
    read = read_plate(steps("7ABCO23"))
    assert read is not None
    assert choose_for_state(read, None) == "7ABCO23"
    assert choose_for_state(read, format_for_region("CA")) == "7ABC023"


def test_an_open_topped_4_read_as_l_is_a_candidate_and_californias_reading() -> None:
    read = read_plate(steps("LKYR003"))  # California's 4 read as L, sure of itself
    assert read is not None
    assert read.text == "LKYR003"
    assert "4KYR003" in [text for text, _ in read.candidates]
    assert choose_for_state(read, None) == "LKYR003"
    assert choose_for_state(read, format_for_region("CA")) == "4KYR003"


def test_a_4_is_never_taken_for_an_l() -> None:
    read = read_plate(steps("4S45794"))  # a California commercial plate, read right
    assert read is not None
    assert "4SLS794" not in [text for text, _ in read.candidates]
    assert choose_for_state(read, format_for_region("CA")) == "4S45794"


def test_a_read_two_characters_from_the_named_states_format_is_reported_as_read() -> None:
    read = read_plate(steps("3J66282"))  # another series of California plates
    assert read is not None
    assert "3JGG282" in [text for text, _ in read.candidates]  # still searchable
    assert choose_for_state(read, format_for_region("CA")) == "3J66282"


def test_letters_only_and_digits_only_reads_are_plates() -> None:
    for text in ("482913", "GOBEARS", "1234567"):
        read = read_plate(steps(text))
        assert read is not None and read.text == text


def test_a_confident_full_read_stays_confident() -> None:
    read = read_plate(steps("7ABC123"))
    assert read is not None and read.confidence > 0.75


def test_a_character_nearly_emitted_between_two_others_lowers_the_confidence() -> None:
    # "7AB?123": the C's step fell just under the blank (0.55 blank, 0.45 C)
    rows = []
    for ch in "7AB":
        rows += [row(ch, 0.99), row()]
    rows += [row("C", 0.45, blank=0.55), row()]
    for ch in "123":
        rows += [row(ch, 0.99), row()]
    read = read_plate(np.stack(rows))
    assert read is not None and read.text == "7AB123"  # one short
    assert read.confidence < ONE_SHORT_CEILING


def test_a_wide_silent_gap_lowers_the_confidence() -> None:
    # the characters are two steps apart, except one gap of six: a character is missing
    rows = []
    for i, ch in enumerate("6A1467"):
        rows += [row(ch, 0.99), row()]
        if i == 2:
            rows += [row(), row(), row(), row()]
    read = read_plate(np.stack(rows))
    assert read is not None and read.text == "6A1467"
    assert read.confidence < ONE_SHORT_CEILING


def test_a_double_character_merged_into_one_lowers_the_confidence() -> None:
    # "6A14467": the two 4s were held as one long run of 4
    rows = []
    for ch in "6A1":
        rows += [row(ch, 0.99), row()]
    rows += [row("4", 0.99)] * 4 + [row()]
    for ch in "67":
        rows += [row(ch, 0.99), row()]
    read = read_plate(np.stack(rows))
    assert read is not None and read.text == "6A1467"
    assert read.confidence < ONE_SHORT_CEILING


def test_disagreeing_re_reads_lower_the_confidence() -> None:
    a, b = read_plate(steps("4SYK188")), read_plate(steps("LSYK188"))
    assert a is not None and b is not None
    voted = vote([a, a, b])
    assert voted.text == "4SYK188"
    assert voted.confidence < a.confidence
    assert "LSYK188" in [t for t, _ in voted.candidates]


def test_re_reads_elect_the_reading_likelier_over_all_crops_not_the_surest_crop() -> None:
    """Two crops read California's open-topped ``4`` as ``L``, sure of themselves; one
    reads ``4``. Each crop also gives the other reading's probability: averaged over the
    three, ``4JPY855`` is likelier (0.41 against 0.37), so it wins though ``L`` was read
    twice; the confidence says the crops disagreed."""
    ell = PlateRead("LJPY855", (0.9,) * 7, (("LJPY855", 0.45), ("4JPY855", 0.40)))
    four = PlateRead("4JPY855", (0.8,) * 7, (("4JPY855", 0.50), ("LJPY855", 0.30)))
    ell_again = PlateRead("LJPY855", (0.88,) * 7, (("LJPY855", 0.35), ("4JPY855", 0.33)))
    voted = vote([ell, four, ell_again])
    assert voted.text == "4JPY855"
    assert voted.confidence < four.confidence
    assert [t for t, _ in voted.candidates] == ["4JPY855", "LJPY855"]
    # a reading no crop put forward as its text is never elected, however probable
    doubtful = PlateRead("LJPY855", (0.7,) * 7, (("LJPY855", 0.30), ("4JPY855", 0.50)))
    assert vote([ell, doubtful]).text == "LJPY855"


def test_timestamps_words_and_signs_are_told_from_plate_lines() -> None:
    assert timestamp_like("2026-12-03 14:05:33")
    assert timestamp_like("12/03/2026")
    assert timestamp_like("14:05")
    assert not timestamp_like("7ABC123")
    assert not timestamp_like("ABC-1234")
    assert words_like("California") and words_like("dmv.ca.gov")
    assert not words_like("7ABC123")
    assert signs_like("MAIN ST") and not signs_like("ABC 1234") and not signs_like("GOBEARS")


@pytest.fixture(scope="module")
def engine() -> Recognizer:
    return load_recognizer("rapidocr")


def plate_image(text: str, region: str = "CA", *, name: bool = True,
                seed: int = 5) -> np.ndarray:
    """A rendered plate of ``region``'s style, 400×200, in a grey 900×500 frame (BGR);
    without ``name`` the state-name band is painted over."""
    fmt = format_for_region(region)
    assert fmt is not None
    plate = render_plate(text, fmt, random.Random(seed))
    if not name:
        ImageDraw.Draw(plate).rectangle((10, 8, 390, 48), fill=plate.getpixel((200, 190)))
    frame = Image.new("RGB", (900, 500), (110, 110, 110))
    frame.paste(plate, (250, 150))
    return np.ascontiguousarray(np.asarray(frame)[:, :, ::-1])


def test_the_state_name_on_the_plate_gives_the_region(engine: Recognizer) -> None:
    reads = engine.recognize(plate_image("7ABC123", "CA"))
    assert reads and reads[0].plate == "7ABC123"
    assert reads[0].region == "CA" and reads[0].region_confidence > 0


def test_no_region_is_inferred_from_the_format_alone(engine: Recognizer) -> None:
    reads = engine.recognize(plate_image("7ABC123", "CA", name=False))
    assert reads and reads[0].plate == "7ABC123"  # a California format, no name
    assert reads[0].region == ""


def test_a_digits_only_plate_is_reported(engine: Recognizer) -> None:
    reads = engine.recognize(plate_image("482913", "NJ", name=False))
    assert [r.plate for r in reads][:1] == ["482913"]


def test_read_box_reads_only_the_box_it_is_given(engine: Recognizer) -> None:
    left = plate_image("7ABC123", "CA")
    right = plate_image("5KLM789", "CA")
    frame = np.concatenate([left, right], axis=1)  # two plates side by side
    read = read_box(engine, frame, (900 + 250, 150, 400, 200))
    assert read is not None and read.plate == "5KLM789" and read.raw == "5KLM789"
    x = read.box[0]
    assert x >= 900  # the box reported lies in the second half
    with pytest.raises(ImageError, match="not inside"):
        read_box(engine, frame, (1700, 400, 200, 200))


def test_read_box_works_for_an_engine_without_its_own(engine: Recognizer) -> None:
    class Wrapped:
        name = "wrapped"

        def recognize(self, image, *, ts=None):  # type: ignore[no-untyped-def]
            return engine.recognize(image, ts=ts)

    frame = plate_image("7ABC123", "CA")
    read = read_box(Wrapped(), frame, (200, 100, 500, 300))
    assert read is not None and read.plate == "7ABC123"
    assert read.box[0] >= 200


def test_an_empty_crop_reads_nothing(engine: Recognizer) -> None:
    grey = np.full((300, 600, 3), 120, dtype=np.uint8)
    cv2.rectangle(grey, (100, 100), (300, 200), (200, 200, 200), -1)
    assert read_box(engine, grey, (100, 100, 200, 100)) is None


def test_a_region_of_interest_hides_plates_outside_it() -> None:
    from plateledger.recognize.engine import DetectorRecognizer

    frame = plate_image("7ABC123", "CA")  # the plate spans x 250..650 of 900
    left_only = DetectorRecognizer(roi=Roi.parse("0,0,0.25,1"))
    assert left_only.recognize(frame) == []
    whole = DetectorRecognizer(roi=Roi.parse("0.2,0.2,0.6,0.6"))
    assert [r.plate for r in whole.recognize(frame)][:1] == ["7ABC123"]
    with pytest.raises(ValueError, match="inside the frame"):
        Roi.parse("0.5,0.5,0.8,0.2")
    with pytest.raises(ValueError, match="four numbers"):
        Roi.parse("a,b,c,d")
