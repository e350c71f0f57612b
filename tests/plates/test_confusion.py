import pytest
from hypothesis import given
from hypothesis import strategies as st

from plateledger.plates import confusion_key, deletion_variants, plate_distance
from plateledger.plates.distance import CONFUSABLE_COST

plates = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)


@pytest.mark.parametrize(
    ("a", "b"),
    [("8ABC123", "BABC123"), ("8ABC123", "8A8C123"), ("5OZ1", "S02I"), ("G6", "6G"),
     ("D0Q", "O00"), ("L1T", "I11")],
)
def test_confusable_spellings_share_a_key(a: str, b: str) -> None:
    assert confusion_key(a) == confusion_key(b)


@pytest.mark.parametrize(("a", "b"), [("8ABC123", "8ABC124"), ("A", "4"), ("7XYZ", "7XY2Z")])
def test_different_plates_keep_different_keys(a: str, b: str) -> None:
    assert confusion_key(a) != confusion_key(b)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("8ABC123", "8ABC123", 0.0),
        ("8ABC123", "BABC123", CONFUSABLE_COST),
        ("8ABC123", "BA8C123", 2 * CONFUSABLE_COST),
        ("8ABC123", "8ABC124", 1.0),
        ("8ABC123", "8ABC12", 1.0),
        ("8ABC123", "8ABC1234", 1.0),
        ("8ABC123", "8ACB123", 1.0),
    ],
)
def test_distance_makes_confusable_substitutions_cheap(a: str, b: str, distance: float) -> None:
    assert plate_distance(a, b) == pytest.approx(distance)


@given(plates, plates)
def test_distance_is_symmetric_and_zero_only_for_equal_plates(a: str, b: str) -> None:
    assert plate_distance(a, b) == pytest.approx(plate_distance(b, a))
    assert (plate_distance(a, b) == 0) == (a == b)


@given(plates, st.integers(min_value=0, max_value=7), st.sampled_from("ABCXYZ0123789"))
def test_keys_one_edit_apart_share_a_deletion_variant(plate: str, pos: int, ch: str) -> None:
    pos = pos % len(plate)
    for edited in (
        plate[:pos] + ch + plate[pos + 1 :],  # substitution
        plate[:pos] + plate[pos + 1 :],  # deletion
        plate[:pos] + ch + plate[pos:],  # insertion
    ):
        if not edited:
            continue
        a = set(deletion_variants(confusion_key(plate)))
        b = set(deletion_variants(confusion_key(edited)))
        assert a & b
