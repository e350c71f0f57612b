"""State formats settle confusable characters and extra emblem characters."""

from __future__ import annotations

import numpy as np
import pytest

from plateledger.plates.formats import ALPHABET, PlateFormat
from plateledger.recognize.decode import decode_plate
from plateledger.recognize.formats import fit_to_format, region_from_name


def steps(*chars: str, sure: float = 0.95) -> np.ndarray:
    """Recogniser output that reads ``chars`` one per step, blanks between."""
    rows = []
    for ch in chars:
        row = np.zeros(2 + len(ALPHABET), dtype=np.float32)
        if ch == "·":
            row[1] = sure
        else:
            row[2 + ALPHABET.index(ch)] = sure
        row[0] = 1.0 - sure
        rows.append(row)
        blank = np.zeros_like(row)
        blank[0] = 1.0
        rows.append(blank)
    return np.stack(rows)


def test_a_letter_o_in_a_digit_slot_becomes_zero() -> None:
    # California: digit, three letters, three digits
    text = decode_plate(steps(*"7ABCO23"))
    assert text is not None and text.text == "7ABC023"
    assert "CA" in text.regions


def test_an_eight_in_a_letter_slot_becomes_b() -> None:
    text = decode_plate(steps(*"A8C1234"))
    assert text is not None and text.text == "ABC1234"


def test_an_unsure_emblem_read_as_a_character_is_dropped() -> None:
    probs = np.concatenate([steps(*"ABC"), steps("X", sure=0.4), steps(*"1234")])
    text = decode_plate(probs)
    assert text is not None and text.text == "ABC1234"


def test_a_symbol_between_groups_emits_nothing() -> None:
    text = decode_plate(steps(*"ABC", "·", *"1234"))
    assert text is not None and text.text == "ABC1234"


def test_text_too_short_or_too_long_is_no_plate() -> None:
    assert decode_plate(steps("A")) is None
    assert decode_plate(steps(*"ABCDEFGHIJK")) is None


def test_a_vanity_plate_that_fits_no_format_is_read_as_it_is() -> None:
    text = decode_plate(steps(*"GOBEARS"))
    assert text is not None and text.text == "GOBEARS" and text.regions == ()


@pytest.mark.parametrize(
    ("name", "region"),
    [("California", "CA"), ("NEW YORK", "NY"), ("New Jersey", "NJ"), ("dmv.ca.gov", ""),
     ("Pennsylvan", "PA"),
     # the script is small and often cursive: a long name read a letter or two wrong
     ("CALFORNLA", "CA"), ("OCT Califoenia", "CA"), ("WASHNGTONEE", "WA"), ("FLORDA", "FL"),
     # ... but not a dealer's frame, a make, another state's name or a short name misread
     ("TOYOTA", ""), ("CLAREMONT FORD", ""), ("CAROLINA", ""), ("VIRGINIA", ""),
     ("NEVEDA", ""), ("TEKAS", "")],
)
def test_a_state_name_names_the_region(name: str, region: str) -> None:
    assert region_from_name(name) == region


def test_fitting_to_a_format_swaps_only_confusable_characters() -> None:
    nevada = PlateFormat("NV", "DLLDDD", "Nevada")
    assert fit_to_format("OCN6S5", nevada) == "0CN655"
    assert fit_to_format("XCN655", nevada) is None
