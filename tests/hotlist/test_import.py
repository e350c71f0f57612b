"""Importing hot lists: CSV and NCIC-style layouts, bad rows, atomic replacement."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from plateledger.hotlist import Category, HotlistStore, ImportRefused, UnknownList, parse_file
from plateledger.hotlist.importing import detect_format
from tests.hotlist.conftest import OAKLAND, SAN_JOSE

SAMPLES = Path(__file__).parents[2] / "docs" / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_csv_bad_row_is_reported_by_line_and_the_rest_kept(hotlists: HotlistStore) -> None:
    rows = parse_file(sample("hotlist.csv"), filename="hotlist.csv")
    report = hotlists.import_list(OAKLAND, "stolen", "local", "stolen_vehicle", rows)
    assert report.rows == 5
    assert report.imported == 4
    assert [(e.line, e.message[:5]) for e in report.errors] == [(5, "plate")]
    plates = [s.entry.plate for s in hotlists.entries(report.list_id)]
    assert plates == ["7ABC123", "8XYZ456", "6TRK882", "4GHJ771"]


def test_csv_fields_are_read_through_their_aliases(hotlists: HotlistStore) -> None:
    rows = parse_file(sample("hotlist.csv"), "csv")
    report = hotlists.import_list(OAKLAND, "stolen", "local", "stolen_vehicle", rows)
    first = hotlists.entries(report.list_id)[0].entry
    assert first.region == "CA"
    assert first.case_number == "24-001234"
    assert first.reason.startswith("stolen 2019 Honda")
    assert first.priority == 5
    assert first.expires_at == int(datetime(2031, 1, 1, tzinfo=UTC).timestamp() * 1000)


def test_refusing_a_file_with_a_bad_row_stores_nothing(hotlists: HotlistStore) -> None:
    rows = parse_file(sample("hotlist.csv"), "csv")
    with pytest.raises(ImportRefused) as refused:
        hotlists.import_list(OAKLAND, "stolen", "local", "stolen_vehicle", rows, on_error="refuse")
    assert [e.line for e in refused.value.errors] == [5]
    assert hotlists.lists(OAKLAND) == []


def test_reimport_replaces_the_list_whole(hotlists: HotlistStore) -> None:
    first = hotlists.import_list(
        OAKLAND, "stolen", "NCIC", "stolen_vehicle", [{"plate": "7ABC123"}, {"plate": "8XYZ456"}]
    )
    second = hotlists.import_list(
        OAKLAND, "stolen", "NCIC", "stolen_vehicle", [{"plate": "1AAA111"}]
    )
    assert second.list_id == first.list_id
    assert second.replaced
    assert [s.entry.plate for s in hotlists.entries(first.list_id)] == ["1AAA111"]
    assert hotlists.lists(OAKLAND)[0].entry_count == 1


def test_import_without_replace_adds_to_the_list(hotlists: HotlistStore) -> None:
    hotlists.import_list(OAKLAND, "local", "local", "warrant", [{"plate": "7ABC123"}])
    report = hotlists.import_list(
        OAKLAND, "local", "local", "warrant", [{"plate": "8XYZ456"}], replace=False
    )
    assert not report.replaced
    assert hotlists.lists(OAKLAND)[0].entry_count == 2


def test_ncic_pipe_and_fixed_width_extracts_read_the_same_plates(hotlists: HotlistStore) -> None:
    pipe = parse_file(sample("ncic_pipe.txt"))
    fixed = parse_file(sample("ncic_fixed.txt"))
    assert [r.error for r in pipe + fixed] == [None] * 7
    assert [r.fields["plate"] for r in pipe] == [r.fields["plate"] for r in fixed][:3]
    report = hotlists.import_list(OAKLAND, "ncic", "NCIC 2024-06-01", "stolen_vehicle", fixed)
    entries = [s.entry for s in hotlists.entries(report.list_id)]
    assert entries[0].case_number == "24-001234"
    assert entries[2].case_number == "W088120000"  # the NCIC number stands in for an OCA
    assert entries[3].region == "AZ"
    assert entries[0].reason == "STOLEN 2019 HONDA CIVIC GRY"


@pytest.mark.parametrize(
    ("text", "filename", "fmt"),
    [
        ("plate,state\n7ABC123,CA\n", "", "csv"),
        ("anything", "list.CSV", "csv"),
        ("LIC|LIS\n7ABC123|CA\n", "", "ncic-pipe"),
        ("# comment\n7ABC123   CA\n", "", "ncic-fixed"),
    ],
)
def test_layout_is_detected(text: str, filename: str, fmt: str) -> None:
    assert detect_format(text, filename) == fmt


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"plate": ""}, "plate is missing"),
        ({"plate": "7ABC123", "priority": "11"}, "priority `11` is not a whole number 0-9"),
        ({"plate": "7ABC123", "priority": "²"}, "priority `²` is not a whole number 0-9"),
        ({"plate": "7ABC123", "expires": "31/12/2030"}, "expiry `31/12/2030` is not a date"),
        ({"plate": "7ABC123", "expires": "2030-12-31T00:00"}, "has no time zone"),
        ({"plate": "7ABC123", "region": "C A!"}, "region `C A!` must be letters and digits"),
    ],
)
def test_bad_rows_say_what_is_wrong(
    hotlists: HotlistStore, row: dict[str, str], message: str
) -> None:
    report = hotlists.import_list(OAKLAND, "x", "local", "warrant", [row])
    assert report.imported == 0
    assert message in report.errors[0].message


def test_csv_without_a_plate_column_is_one_error(hotlists: HotlistStore) -> None:
    rows = parse_file("state,reason\nCA,stolen\n", "csv")
    report = hotlists.import_list(OAKLAND, "x", "local", "warrant", rows)
    assert report.errors[0].line == 1


def test_unknown_category_is_refused(hotlists: HotlistStore) -> None:
    with pytest.raises(ValueError, match="category `parking`"):
        hotlists.import_list(OAKLAND, "x", "local", "parking", [{"plate": "7ABC123"}])


def test_lists_belong_to_their_owner(hotlists: HotlistStore) -> None:
    mine = hotlists.import_list(OAKLAND, "a", "local", Category.WARRANT, [{"plate": "7ABC123"}])
    hotlists.import_list(SAN_JOSE, "b", "local", Category.WARRANT, [{"plate": "7ABC123"}])
    assert [h.name for h in hotlists.lists(OAKLAND)] == ["a"]
    assert len(hotlists.lists()) == 2
    with pytest.raises(UnknownList):
        hotlists.delete_list(mine.list_id, owner_id=SAN_JOSE)
    hotlists.delete_list(mine.list_id, owner_id=OAKLAND)
    assert hotlists.entries(mine.list_id) == []
    assert [h.name for h in hotlists.lists()] == ["b"]


def test_csv_rows_may_name_their_own_category_and_a_bad_one_is_a_row_error(
    hotlists: HotlistStore,
) -> None:
    text = ("plate,state,category,case\n"
            "7ABC123,CA,Wanted Person,24-1\n"
            "8XYZ456,CA,,24-2\n"
            "6TRK882,CA,parking,24-3\n")  # fmt: skip
    report = hotlists.import_list(OAKLAND, "mixed", "NCIC", "stolen_vehicle", parse_file(text))
    assert [(e.line, e.message[:20]) for e in report.errors] == [(4, "category `parking` i")]
    entries = [s.entry for s in hotlists.entries(report.list_id)]
    assert [(e.category, e.case_number) for e in entries] == [
        ("wanted_person", "24-1"), ("", "24-2")
    ]
