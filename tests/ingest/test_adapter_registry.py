"""The registry of adapters and the choice of one by path name or content type."""

import pytest

from plateledger.ingest import ADAPTERS, UnknownFormat, adapter_for

NAMES = ["native", "openalpr", "rekor", "platerecognizer", "frigate", "plate_minder", "csv"]


def test_every_format_has_a_named_versioned_adapter() -> None:
    assert sorted(ADAPTERS) == sorted(NAMES)
    for name, adapter in ADAPTERS.items():
        assert adapter.name == name and adapter.version and adapter.content_types


@pytest.mark.parametrize("name", NAMES)
def test_a_path_name_picks_its_adapter(name: str) -> None:
    assert adapter_for(name, "application/json") is ADAPTERS[name]


@pytest.mark.parametrize(
    ("content_type", "name"),
    [
        (None, "native"),
        ("", "native"),
        ("application/json", "native"),
        ("Application/JSON; charset=utf-8", "native"),
        ("application/x-ndjson", "native"),
        ("text/csv", "csv"),
        ("multipart/form-data; boundary=x", "platerecognizer"),
    ],
)
def test_without_a_name_the_content_type_picks_the_adapter(
    content_type: str | None, name: str
) -> None:
    assert adapter_for(None, content_type).name == name


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownFormat, match="unknown format `genetec`; known: csv, frigate"):
        adapter_for("genetec", None)


def test_an_unknown_content_type_is_named() -> None:
    with pytest.raises(UnknownFormat, match="`application/xml`"):
        adapter_for(None, "application/xml")
