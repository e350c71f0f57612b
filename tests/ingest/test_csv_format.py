"""CSV files of reads, parsed whole or streamed in batches."""

from pathlib import Path

import pytest

from plateledger.ingest import ADAPTERS, MAX_BATCH_ITEMS, BatchTooLarge, MalformedBody
from plateledger.ingest.adapters import iter_csv_batches
from plateledger.read import Images, Vehicle

SAMPLES = Path(__file__).parent / "samples"
csv_adapter = ADAPTERS["csv"]
HEADER = "camera_id,ts,plate,confidence\n"


def test_rows_become_reads_with_aliases_and_optional_columns() -> None:
    parsed = csv_adapter.parse((SAMPLES / "reads.csv").read_bytes())
    reads = dict(parsed.submissions)
    assert sorted(reads) == [0, 1]
    first = reads[0]
    assert (first.camera_id, first.plate, first.confidence) == ("cam-7", "7ABC123", 0.93)
    assert int(first.ts.timestamp() * 1000) == 1732458001000
    assert (first.region, first.lat, first.lon, first.heading) == ("CA", 37.5934, -122.0439, 182.5)
    assert first.vehicle == Vehicle(color="silver", make="toyota")
    assert first.images == Images(plate="s3://crops/1.jpg")
    assert int(reads[1].ts.timestamp() * 1000) == 1732458002000
    assert (reads[1].region, reads[1].lat) == ("", None)


def test_errors_name_the_line_and_the_files_column() -> None:
    parsed = csv_adapter.parse((SAMPLES / "reads.csv").read_bytes())
    assert [(e.index, e.field) for e in parsed.errors] == [
        (2, "line 4: Confidence"),
        (4, "line 6: Plate"),
        (4, "line 6: Latitude"),
    ]


@pytest.mark.parametrize(
    "header",
    ["CAMERA_ID,TS,PLATE,CONFIDENCE", "camera,timestamp,plate,confidence",
     " camera , time , plate_number , Confidence "],
)
def test_column_names_are_case_insensitive_with_aliases(header: str) -> None:
    parsed = csv_adapter.parse(f"{header}\nc1,2024-11-24T14:20:01Z,7ABC123,0.5\n".encode())
    assert [r.plate for _, r in parsed.submissions] == ["7ABC123"]


@pytest.mark.parametrize(
    "raw",
    [b"", b"camera_id,ts,plate\nc,1,2", b"camera,camera_id,ts,plate,confidence\n"],
)
def test_a_header_without_the_required_columns_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedBody):
        csv_adapter.parse(raw)


def test_the_camera_hint_makes_the_camera_column_optional() -> None:
    raw = b"ts,plate,confidence\n2024-11-24T14:20:01Z,7ABC123,0.5\n"
    [(_, read)] = csv_adapter.parse(raw, camera_hint="van-3").submissions
    assert read.camera_id == "van-3"


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("c1,2024-11-24T14:20:01Z,7ABC123,nan", "confidence"),
        ("c1,2024-11-24T14:20:01Z,7ABC123,inf", "confidence"),
        ("c1,2024-11-24T14:20:01Z,7ABC123,", "confidence"),
        ("c1,99999999999999999999999999,7ABC123,0.5", "ts"),
        ("c1,2024-11-24T14:20:01Z,7\u00e9BC,0.5", "plate"),
        (",2024-11-24T14:20:01Z,7ABC123,0.5", "camera_id"),
    ],
)
def test_a_bad_cell_is_refused_by_line_and_column(row: str, column: str) -> None:
    parsed = csv_adapter.parse((HEADER + row + "\n").encode())
    assert parsed.submissions == []
    assert [(e.index, e.field) for e in parsed.errors] == [(0, f"line 2: {column}")]


def test_bytes_that_are_not_utf8_fail_only_their_row() -> None:
    rows = b"c1,2024-11-24T14:20:01Z,7A\xffC,0.5\nc1,2024-11-24T14:20:01Z,7ABC,0.5\n"
    raw = HEADER.encode() + rows
    parsed = csv_adapter.parse(raw)
    assert [i for i, _ in parsed.submissions] == [1]
    assert [e.field for e in parsed.errors] == ["line 2: plate"]


def test_a_quoted_line_break_keeps_later_line_numbers_true() -> None:
    raw = HEADER + 'c1,2024-11-24T14:20:01Z,"7ABC\n123",0.5\nc1,2024-11-24T14:20:01Z,,0.5\n'
    parsed = csv_adapter.parse(raw.encode())
    assert [(i, r.plate_normalized) for i, r in parsed.submissions] == [(0, "7ABC123")]
    assert [(e.index, e.field) for e in parsed.errors] == [(2, "line 4: plate")]


def test_more_rows_than_the_batch_limit_is_too_large() -> None:
    row = "c1,2024-11-24T14:20:01Z,7ABC123,0.5\n"
    with pytest.raises(BatchTooLarge):
        csv_adapter.parse((HEADER + row * (MAX_BATCH_ITEMS + 1)).encode())


def test_a_file_is_streamed_in_batches_with_global_line_numbers(tmp_path: Path) -> None:
    rows = [f"c1,{1732458000000 + i},{i}ABC{i % 1000:03d},0.5" for i in range(1, 26)]
    rows[11] = "c1,2024-11-24T14:20:01Z,!!!,0.5"  # line 13
    path = tmp_path / "reads.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    batches = list(iter_csv_batches(path, 10))
    assert [len(b.submissions) + len(b.errors) for b in batches] == [10, 10, 5]
    assert [e.field for b in batches for e in b.errors] == ["line 13: plate"]
    indexes = [i for b in batches for i, _ in b.submissions]
    assert indexes == [i for i in range(25) if i != 11]


def test_streaming_a_file_without_the_required_columns_fails_at_once(tmp_path: Path) -> None:
    path = tmp_path / "reads.csv"
    path.write_text("plate\n7ABC123\n")
    with pytest.raises(MalformedBody):
        next(iter_csv_batches(path, 100))


def test_a_row_the_csv_reader_cannot_read_is_an_error_of_its_line() -> None:
    huge = "A" * 200_000
    raw = f"{HEADER}c1,2024-11-24T14:20:01Z,{huge},0.5\nc1,2024-11-24T14:20:01Z,7ABC,0.5\n"
    parsed = csv_adapter.parse(raw.encode())
    assert [i for i, _ in parsed.submissions] == [1]
    assert [(e.index, e.field) for e in parsed.errors] == [(0, "line 2")]
    assert parsed.errors[0].message.startswith("row cannot be read: field larger")
