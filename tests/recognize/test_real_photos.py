"""The recogniser on a few real labelled photos, when they are present.

The photos (../shared/data/plates-real, or $PLATELEDGER_PLATES_REAL) are under a research
licence and are never copied into the project: without them these tests skip.
"""

from __future__ import annotations

import pytest

from bench.recognition.real import DATA, edits, photos, still_and_video, wide_frames, wilson
from plateledger.recognize import Recognizer, read_box

pytestmark = pytest.mark.skipif(
    not (DATA / "labels.csv").exists(),
    reason=f"real labelled photos not present at {DATA} (licensed; never in the project)",
)


def test_read_box_reads_most_labelled_plates_within_one_character(
    recognizer: Recognizer,
) -> None:
    items = photos("dev")[:12]
    close = 0
    for item in items:
        read = read_box(recognizer, item.path, item.box)
        close += read is not None and edits(read.plate, item.plate) <= 1
    assert close >= 9, f"{close} of {len(items)}"


def test_a_plate_read_in_a_still_is_read_in_a_compressed_video_of_the_same_size(
    recognizer: Recognizer,
) -> None:
    """The photos become an MPEG-4 clip at their own resolution (~17 kB a frame); every
    plate read exactly from a still is read exactly from the clip's frame of it."""
    items = photos("dev")[:10]
    pairs = still_and_video(recognizer, items)
    read_in_stills = [i.plate for (still, _), i in zip(pairs, items, strict=True)
                      if still == i.plate]
    lost = [i.plate for (still, video), i in zip(pairs, items, strict=True)
            if still == i.plate and video != i.plate]
    assert len(read_in_stills) >= 7, pairs
    assert not lost, pairs


def test_the_wilson_interval_brackets_the_proportion() -> None:
    low, high = wilson(40, 48)
    assert low < 40 / 48 < high and low > 0.6 and high < 0.95



def test_three_photos_side_by_side_are_read_as_one_full_hd_frame(
    recognizer: Recognizer,
) -> None:
    """Three photos side by side make a 1920 px wide frame with three cars, each plate at
    the size it has in its photo (the bench's ``--wide 3``): most plates are read."""
    items = photos("dev")[:9]
    read = 0
    for image, plates in wide_frames(items, 3):
        assert image.shape[1] == 1920
        found = {r.plate for r in recognizer.recognize(image)}
        read += sum(p in found for p in plates)
    assert read >= 6, read


def test_an_exact_search_finds_a_read_whose_candidate_is_the_labelled_plate() -> None:
    """The benchmark's "exact search finds it": a read counts when the labelled plate is
    among the readings it would be stored with, even where the reported plate is wrong."""
    from bench.recognition.real import measure

    items = [i for i in photos("dev") if i.path.name == "ucsd_cars4_011.jpg"]
    assert items, "the dev photo of 4XNG329 (its 4 read as L) is missing"
    row = measure("rapidocr", items)
    assert row["exact"] == 0.0  # read LXNG329: California's name is not read on it
    assert row["exact_search_finds"] == 1.0  # ... yet 4XNG329 is a candidate
