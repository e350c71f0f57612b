import pytest

from plateledger.plates import PlateError, normalize_plate, parse_wildcard


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("7abc123", "7ABC123"),
        (" 7ABC 123 ", "7ABC123"),
        ("7-ABC-123", "7ABC123"),
        ("7.abc·123", "7ABC123"),
        ("ab_12/34", "AB1234"),
    ],
)
def test_normalisation_upper_cases_and_strips_separators(raw: str, normalized: str) -> None:
    assert normalize_plate(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("  - ", "empty"),
        ("ABCDEFGHIJK", "longer than 10"),
        ("7ÄBC123", "only the letters"),
        ("7AB$123", "only the letters"),
        ("７ABC123", "only the letters"),
    ],
)
def test_text_that_cannot_be_a_plate_is_refused_with_a_reason(raw: str, message: str) -> None:
    with pytest.raises(PlateError, match=message):
        normalize_plate(raw)


@pytest.mark.parametrize(
    ("pattern", "like", "prefix", "matches", "misses"),
    [
        ("7ab*12", "7AB%12", "7AB", ["7AB12", "7ABC912"], ["7AC912", "7ABC913"]),
        ("7?B1234", "7_B1234", "7", ["7AB1234", "70B1234"], ["7B1234", "7AAB1234"]),
        ("*123", "%123", "", ["8ABC123", "123"], ["8ABC124"]),
        ("7**AB", "7%AB", "7", ["7AB", "7XYAB"], ["8AB"]),
    ],
)
def test_wildcards(
    pattern: str, like: str, prefix: str, matches: list[str], misses: list[str]
) -> None:
    wildcard = parse_wildcard(pattern)
    assert wildcard.like == like
    assert wildcard.prefix == prefix
    assert all(wildcard.matches(p) for p in matches)
    assert not any(wildcard.matches(p) for p in misses)


@pytest.mark.parametrize("pattern", ["*", "7*", "??", "7%AB", "AB'C", "12345678901*"])
def test_wildcards_that_would_ask_for_everything_or_are_malformed_are_refused(
    pattern: str,
) -> None:
    with pytest.raises(PlateError):
        parse_wildcard(pattern)
