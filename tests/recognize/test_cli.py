"""The `recognize`, `agent` and `mqtt` commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from plateledger.cli.recognize import app
from plateledger.recognize.synthetic import synthetic_frames
from tests.recognize.conftest import Intake

runner = CliRunner()


def test_recognize_prints_one_json_object_per_read_and_reports_bad_files(
    tmp_path: Path,
) -> None:
    shot = next(synthetic_frames(1, 7))
    (tmp_path / "a.jpg").write_bytes(shot.jpeg(quality=95))
    (tmp_path / "b.jpg").write_bytes(b"")
    result = runner.invoke(app, ["recognize", str(tmp_path), "--json"])
    assert result.exit_code == 2  # one file could not be read
    reads = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert reads[0]["plate"] == shot.plate


def test_recognize_skips_non_images_and_names_each_reads_file(tmp_path: Path) -> None:
    shot = next(synthetic_frames(1, 7))
    (tmp_path / "a.jpg").write_bytes(shot.jpeg(quality=95))
    (tmp_path / "labels.csv").write_text("file,plate\na.jpg,X\n")
    (tmp_path / "notes.txt").write_text("not an image")
    result = runner.invoke(app, ["recognize", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output  # nothing was unreadable: skipped, not failed
    assert "notes.txt" not in result.output and "labels.csv" not in result.output
    reads = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert reads and all(r["file"] == str(tmp_path / "a.jpg") for r in reads)
    assert {"raw", "candidates"} <= reads[0].keys()


def test_recognize_refuses_an_unknown_engine(tmp_path: Path) -> None:
    result = runner.invoke(app, ["recognize", str(tmp_path), "--engine", "nope"])
    assert result.exit_code != 0
    assert "unknown engine `nope`" in result.output


def test_recognize_looks_only_inside_the_region_of_interest(tmp_path: Path) -> None:
    shot = next(synthetic_frames(1, 7))
    (tmp_path / "a.jpg").write_bytes(shot.jpeg(quality=95))
    plates = {}
    for roi in ("0,0,1,1", "0,0,1,0.05"):  # the whole frame; a strip of sky at the top
        result = runner.invoke(app, ["recognize", str(tmp_path), "--json", "--roi", roi,
                                     "--detect-side", "1280"])
        assert result.exit_code == 0, result.output
        plates[roi] = [json.loads(line)["plate"] for line in result.stdout.splitlines()
                       if line.startswith("{")]
    assert shot.plate in plates["0,0,1,1"] and plates["0,0,1,0.05"] == []


def test_recognize_refuses_a_bad_region_or_detector_side(tmp_path: Path) -> None:
    for args, message in [
        (["--roi", "0.5,0.5,0.6,0.2"], "inside the frame"),
        (["--roi", "half"], "is not x,y,w,h"),
        (["--detect-side", "100"], "320"),
        (["--roi", "0,0,1,1", "--engine", "rapidocr-edge"], "takes no region of interest"),
        (["--no-find-plates", "--engine", "rapidocr-full"], "or plate finding option"),
    ]:
        result = runner.invoke(app, ["recognize", str(tmp_path), *args])
        assert result.exit_code == 2, (args, result.output)
        said = " ".join(result.output.replace("│", " ").split())  # (Rich wraps the box)
        assert message in said, (args, said)


def test_the_agent_command_sends_a_folder_to_the_server(tmp_path: Path, intake: Intake) -> None:
    shot = next(synthetic_frames(1, 7))
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(shot.jpeg(quality=95))
    result = runner.invoke(app, [
        "agent", "--source", str(folder), "--server", intake.url, "--key", "k",
        "--camera-id", "cam-1", "--spool", str(tmp_path / "spool.db"),
        "--engine", "rapidocr-edge",
    ])
    assert result.exit_code == 0, result.output
    assert [r["plate"] for r in intake.reads()] == [shot.plate]
    # the read carries its readings and the plate's box (native `candidates`, `plate_box`)
    [read] = intake.reads()
    assert read["candidates"][0]["plate"] == shot.plate and read["plate_box"]["w"] > 0


def test_mqtt_refuses_a_malformed_camera_map(tmp_path: Path) -> None:
    result = runner.invoke(app, [
        "mqtt", "--broker", "mqtt://127.0.0.1:1883", "--topic", "t", "--server",
        "http://127.0.0.1:1", "--key", "k", "--camera-map", "nocamera",
        "--spool", str(tmp_path / "s.db"),
    ])
    assert result.exit_code != 0
    assert "NAME=CAMERA_ID" in result.output
