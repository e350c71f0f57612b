"""Claims of docs/recognition.md and docs/simulator.md that no other test holds.

Each test quotes the sentence it holds. Real parts only: the packaged recogniser and its
models, the `plateledger recognize` command, the spool and sender against a small HTTP
intake, the bridge's routing, and the simulator's generated reads.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from plateledger.cli.recognize import app
from plateledger.network_loop import RECONNECT_MAX, RECONNECT_MIN
from plateledger.read import derive_read_id
from plateledger.recognize import ENGINES, Recognition, Recognizer, load_recognizer
from plateledger.recognize.agent import Agent, AgentConfig
from plateledger.recognize.bridge import Broker, MqttBridge, Route
from plateledger.recognize.sender import ReadSender
from plateledger.recognize.sighting import SightingMerger
from plateledger.recognize.spool import Spool
from plateledger.recognize.synthetic import synthetic_frames
from plateledger.sim import BLOCK_READS, City, default_plan
from plateledger.sim.plan import OcrRates
from tests.recognize.conftest import Intake, free_port
from tests.recognize.test_reading import plate_image

runner = CliRunner()
T0 = datetime(2024, 11, 24, 14, 0, tzinfo=UTC)
START = datetime(2025, 3, 3, tzinfo=UTC)
CA = re.compile(r"\d[A-Z]{3}\d{3}")


# -- docs/recognition.md: recognising plates ---------------------------------------------------


def test_the_default_engine_is_rapidocr_and_three_engines_are_known() -> None:
    """`recognizer = load_recognizer()  # engine "rapidocr"`; the engines table names
    `rapidocr` (default), `rapidocr-full` and `rapidocr-edge`."""
    assert load_recognizer().name == "rapidocr"
    assert {"rapidocr", "rapidocr-full", "rapidocr-edge"} <= set(ENGINES)


def test_a_reads_time_is_now_in_utc_and_its_candidates_start_with_the_raw_read(
    recognizer: Recognizer,
) -> None:
    """"`ts` (the frame's time; now, UTC, by default)"; "`candidates` (the raw read first,
    then up to four alternatives … each with its probability)"."""
    before = datetime.now(UTC)
    reads = recognizer.recognize(plate_image("7ABC123", "CA"))
    after = datetime.now(UTC)
    assert reads
    for read in reads:
        assert read.ts.utcoffset() == timedelta(0) and before <= read.ts <= after
        assert read.candidates[0][0] == read.raw
        assert 1 <= len(read.candidates) <= 5
        assert all(0.0 <= p <= 1.0 for _, p in read.candidates)


def test_the_models_come_from_the_rapidocr_wheel_and_run_on_one_thread(
    recognizer: Recognizer,
) -> None:
    """"The text models come only from inside the `rapidocr_onnxruntime` 1.4.4 wheel
    (PP-OCRv4, ONNX); the plate detector is the project's own
    (`plateledger/recognize/models/plates.onnx`, 0.23 MB …). All run on one CPU thread
    with onnxruntime"."""
    import rapidocr_onnxruntime

    import plateledger.recognize
    from plateledger.recognize.plates import MODEL

    assert importlib.metadata.version("rapidocr_onnxruntime") == "1.4.4"
    wheel = Path(rapidocr_onnxruntime.__file__).parent
    assert MODEL.parent == Path(plateledger.recognize.__file__).parent / "models"
    assert 0.2e6 < MODEL.stat().st_size < 0.26e6
    recognizer.recognize(plate_image("7ABC123", "CA"))
    sessions = [recognizer._detector._session, recognizer._reader._session,  # type: ignore[attr-defined]
                recognizer._finder._session]  # type: ignore[attr-defined]
    for session in sessions:
        options = session.get_session_options()
        assert options.intra_op_num_threads == 1 and options.inter_op_num_threads == 1
        assert session.get_providers() == ["CPUExecutionProvider"]
    for path in (wheel / "models").glob("*PP-OCRv4*.onnx"):
        assert path.is_file()
    assert (wheel / "models" / "ch_PP-OCRv4_det_infer.onnx").is_file()


# -- docs/recognition.md: `plateledger recognize` ---------------------------------------------


def test_recognize_prints_a_table_and_json_carries_frame_confidences_region_and_box(
    tmp_path: Path,
) -> None:
    """"`plateledger recognize IMAGE|DIR|VIDEO [--json] …` prints a table (or one JSON
    object per read)"; "Each JSON object names its `file` and `frame` and carries `plate`,
    `raw`, `candidates`, the confidences, `region` and `box`"."""
    shot = next(synthetic_frames(1, 7))
    image = tmp_path / "a.jpg"
    image.write_bytes(shot.jpeg(quality=95))
    table = runner.invoke(app, ["recognize", str(image), "--engine", "rapidocr-edge"])
    assert table.exit_code == 0, table.output
    assert "plate" in table.stdout and shot.plate in table.stdout
    assert not any(line.startswith("{") for line in table.stdout.splitlines())
    result = runner.invoke(app, ["recognize", str(image), "--json", "--engine",
                                 "rapidocr-edge"])
    assert result.exit_code == 0, result.output
    reads = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert reads and reads[0]["plate"] == shot.plate
    assert {"file", "frame", "plate", "raw", "candidates", "confidence", "char_confidences",
            "region", "region_confidence", "box"} <= reads[0].keys()
    assert reads[0]["frame"] == str(image) and len(reads[0]["box"]) == 4


def test_recognize_exits_1_when_the_source_cannot_be_opened(tmp_path: Path) -> None:
    """"Exit code … 1 when the source cannot be opened at all"."""
    missing = runner.invoke(app, ["recognize", str(tmp_path / "nope.jpg")])
    assert missing.exit_code == 1, missing.output
    broken = tmp_path / "clip.mp4"
    broken.write_bytes(b"not a video")
    video = runner.invoke(app, ["recognize", str(broken), "--engine", "rapidocr-edge"])
    assert video.exit_code == 1, video.output


# -- docs/recognition.md: the camera agent ----------------------------------------------------


def _seen(plate: str, seconds: float, confidence: float) -> Recognition:
    return Recognition(plate, confidence, (confidence,) * len(plate), "", 0.0,
                       (0, 0, 90, 45), b"", T0 + timedelta(seconds=seconds))


def test_a_sightings_read_id_derives_from_camera_first_time_and_first_plate() -> None:
    """"a `read_id` derived from camera, first time and first plate
    (`plateledger.read.derive_read_id`)", while the text is the best-confidence one."""
    merger = SightingMerger("cam-9")
    merger.add(_seen("7ABC123", 0, 0.6))
    merger.add(_seen("7A8C123", 1, 0.95))
    (sighting,) = merger.flush()
    body = json.loads(sighting.to_json())
    assert body["plate"] == "7A8C123"
    assert body["read_id"] == str(derive_read_id("cam-9", T0, "7ABC123"))


def test_the_spool_is_sqlite_in_wal_mode_with_synchronous_full(tmp_path: Path) -> None:
    """"SQLite in WAL mode with `synchronous=FULL`"."""
    with Spool(tmp_path / "spool.db") as spool:
        db = spool._db
        assert db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_reads_go_out_a_hundred_to_a_post(tmp_path: Path, intake: Intake) -> None:
    """"Items go out in spool order, 100 native reads per `POST {server}/v1/reads`"."""
    with Spool(tmp_path / "spool.db") as spool:
        for n in range(150):
            spool.put(f"id-{n}", json.dumps({"read_id": f"id-{n}", "plate": f"AB{n:05d}"}))
        assert ReadSender(intake.url, "k").drain(spool)
    assert [(path, len(json.loads(body))) for path, _, body in intake.requests] == [
        ("/v1/reads", 100), ("/v1/reads", 50)]
    assert [r["read_id"] for r in intake.reads()] == [f"id-{n}" for n in range(150)]


def test_failures_back_off_from_one_second_doubling_to_sixty(tmp_path: Path) -> None:
    """"connection errors keep everything and back off (1 s doubling to 60 s)"."""
    sender = ReadSender(f"http://127.0.0.1:{free_port()}", "k", timeout=1.0)
    waits = []
    with Spool(tmp_path / "spool.db") as spool:
        spool.put("id-1", json.dumps({"read_id": "id-1", "plate": "AAA1111"}))
        for _ in range(8):
            sender.stats.backoff_until = 0.0
            assert not sender.drain(spool)
            waits.append(round(sender.stats.backoff_until - time.monotonic()))
        assert spool.backlog() == 1
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]


def test_the_agent_sends_reads_without_crops(
    synthetic_recognizer: Recognizer, intake: Intake, tmp_path: Path
) -> None:
    """"The agent sends reads, not pictures: its reads carry no crop (`images` is
    empty)"."""
    folder = tmp_path / "frames"
    folder.mkdir()
    shot = next(synthetic_frames(1, 7))
    (folder / "a.jpg").write_bytes(shot.jpeg(quality=95))
    Agent(synthetic_recognizer, AgentConfig(server=intake.url, key="k", camera_id="cam-1",
                                            spool=tmp_path / "spool.db")).run(str(folder))
    reads = intake.reads()
    assert [r["plate"] for r in reads] == [shot.plate]
    assert not reads[0].get("images")


# -- docs/recognition.md: the MQTT bridge ------------------------------------------------------


def test_broker_urls_default_their_port_and_mqtts_speaks_tls() -> None:
    """"`mqtts://` (port 8883 by default) speaks TLS"; the bridge logs in with the user
    and password of the broker URL."""
    assert Broker.parse("mqtts://u:p%40ss@broker.example") == Broker(
        "broker.example", 8883, "u", "p@ss", True)
    assert Broker.parse("mqtt://broker.example") == Broker("broker.example", 1883)


def _bridge(tmp_path: Path, camera_map: dict[str, str]) -> MqttBridge:
    return MqttBridge(Broker("127.0.0.1", 1883), ["#"], tmp_path / "spool.db",
                      camera_map=camera_map)


LPR = {"type": "lpr", "id": "1", "plate": "5KLM302", "score": 0.9, "camera": "yard"}
ALPR = {"results": [{"plate": "4FGH771", "confidence": 87.6}]}


def test_the_topic_decides_the_endpoint_never_the_body(tmp_path: Path) -> None:
    """The bridge's table: Frigate topics (`frigate/…`, `…/tracked_object_update`, not a
    topic of `--camera-map`) go to `/v1/reads/frigate` (`?camera=<id>` only when the map
    names their camera), a list of events included; any other topic's OpenALPR results go
    to `/v1/reads/plate_minder?camera=<map[topic] or the topic's first segment>`."""
    bridge = _bridge(tmp_path, {"driveway_cam": "cam-12", "site/tracked_object_update": "gate"})

    def endpoint(topic: str, body: object) -> str:
        route = bridge.route(topic, body)
        assert isinstance(route, Route), route
        return route.endpoint

    assert endpoint("frigate/events", LPR) == "/v1/reads/frigate"
    assert endpoint("cams/tracked_object_update", [LPR, {**LPR, "id": "2"}]) == \
        "/v1/reads/frigate"
    assert endpoint("frigate/x", {**LPR, "camera": "driveway_cam"}) == \
        "/v1/reads/frigate?camera=cam-12"
    # a mapped topic is Plate Minder's, even one that ends like Frigate's
    assert endpoint("site/tracked_object_update", ALPR) == "/v1/reads/plate_minder?camera=gate"
    assert endpoint("yardcam/alpr/results", ALPR) == "/v1/reads/plate_minder?camera=yardcam"
    # the same topic and body make the same spool id; another topic another one
    first, again = bridge.route("a/b", ALPR), bridge.route("a/b", ALPR)
    other = bridge.route("c/b", ALPR)
    assert isinstance(first, Route) and isinstance(again, Route) and isinstance(other, Route)
    assert first.item_id == again.item_id != other.item_id


def test_a_message_of_the_wrong_shape_for_its_topic_is_skipped_with_its_reason(
    tmp_path: Path,
) -> None:
    """"A message that is not JSON … or of the wrong shape for its topic is logged and
    skipped with its reason"."""
    bridge = _bridge(tmp_path, {})
    assert "no `results`" in str(bridge.route("plate-minder/detect", LPR))
    assert "not an event" in str(bridge.route("frigate/x", ["plate", 1]))
    assert "not an event" in str(bridge.route("frigate/x", 42))


def test_the_bridge_reconnects_from_half_a_second_doubling_up_to_thirty() -> None:
    """"the bridge's network loop … reconnects by itself when the broker restarts, waiting
    0.5 s and doubling up to 30 s between tries" (the reconnection itself is held by
    tests/recognize/test_bridge.py, with a real broker restarted)."""
    assert (RECONNECT_MIN, RECONNECT_MAX) == (0.5, 30.0)


# -- docs/simulator.md ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def city() -> City:
    return City(default_plan(vehicles=8_000))


@pytest.fixture(scope="module")
def reads(city: City) -> pa.Table:
    return pa.concat_tables(city.generate(3, 200_000, START, 7.0))


def test_the_road_grid_and_the_cameras_of_the_default_plan() -> None:
    """"a 25 × 25 grid of intersections 200 m apart … every fourth row and column is an
    arterial (55 km/h against 35 km/h)"; "about 70 fixed cameras"; "18 patrol cars";
    "About 10 % of fixed cameras report no heading (-1)"; Reno PD "with four cameras"."""
    plan = default_plan()
    grid = plan.grid
    assert (grid.size, grid.spacing_m, grid.arterial_every) == (25, 200.0, 4)
    assert (grid.arterial_kmh, grid.street_kmh) == (55.0, 35.0)
    assert (grid.centre_lat, grid.centre_lon) == (37.5934, -122.0439)
    fixed = [c for c in plan.cameras if c.kind == "fixed"]
    mobile = [c for c in plan.cameras if c.kind == "mobile"]
    assert 60 <= len(fixed) <= 80 and len(mobile) == 18
    assert 0.05 <= sum(c.heading == -1 for c in fixed) / len(fixed) <= 0.15
    reno = [c for c in plan.cameras if plan.agency(c.owner_id).home_state == "NV"]
    assert len(reno) == 4


def test_reads_carry_no_hit_and_no_image_references(reads: pa.Table) -> None:
    """"`hit` 0; image references empty"."""
    assert set(reads.column("hit").to_pylist()) == {0}
    assert set(reads.column("image_plate").to_pylist()) == {""}
    assert set(reads.column("image_overview").to_pylist()) == {""}


def test_vehicle_attributes_are_blank_as_often_as_classifiers_give_up(reads: pa.Table) -> None:
    """"Colour, make, model and body type … blank on 8 % / 25 % / 10 % of reads"."""
    def blank(column: str) -> float:
        return float(np.mean(np.array(reads.column(column).to_pylist()) == ""))

    assert blank("vehicle_color") == pytest.approx(0.08, abs=0.01)
    assert blank("vehicle_make") == pytest.approx(0.25, abs=0.015)
    assert blank("vehicle_model") == pytest.approx(0.25, abs=0.015)
    assert blank("vehicle_type") == pytest.approx(0.10, abs=0.01)


def test_one_read_in_a_hundred_is_at_reno_mostly_of_nevada_plates(
    city: City, reads: pa.Table
) -> None:
    """"Elsewhere reads: 1 % of reads at the Reno cameras, 70 % NV plates"."""
    plan = city.plan
    reno = [c.camera_id for c in plan.cameras if plan.agency(c.owner_id).home_state == "NV"]
    at_reno = reads.filter(pc.is_in(reads.column("camera_id"), pa.array(reno)))
    assert at_reno.num_rows / reads.num_rows == pytest.approx(0.01, abs=0.002)
    assert set(at_reno.column("origin_state").to_pylist()) == {"NV"}
    raw = at_reno.column("plate_raw").to_pylist()
    nevada = sum(bool(re.fullmatch(r"\d{3}-?[A-Z]{3}", p)) for p in raw) / len(raw)
    assert nevada == pytest.approx(0.70, abs=0.1)


def test_plates_are_mostly_californian_and_out_of_state_ones_keep_their_gap(
    city: City, reads: pa.Table
) -> None:
    """"94 % California (`7ABC123` …) and 6 % out of state — NV `123ABC` (printed
    `123-ABC`), OR `ABC123` (`ABC 123`), AZ `ABC1234`, TX `ABC1234` (`ABC-1234`); 30 % of
    out-of-state reads keep the printed gap in `plate_raw`"."""
    registered = list(city.ground_truth().registered_plates)
    assert sum(bool(CA.fullmatch(p)) for p in registered) / len(registered) == \
        pytest.approx(0.94, abs=0.01)
    others = [p for p in registered if not CA.fullmatch(p)]
    assert all(re.fullmatch(r"\d{3}[A-Z]{3}|[A-Z]{3}\d{3,4}", p) for p in others)
    raw = np.array(reads.column("plate_raw").to_pylist())
    plate = reads.column("plate").to_pylist()
    out_of_state = np.array([not CA.fullmatch(p) for p in plate])
    gaps = np.array([(" " in r) or ("-" in r) for r in raw])
    # AZ prints no gap, and misread California plates land here too: a little under 30 %
    assert 0.15 <= gaps[out_of_state].mean() <= 0.35


def test_convoys_are_one_vehicle_in_a_hundred_mostly_in_pairs(city: City) -> None:
    """"1 % of vehicles are in groups of two (80 %) or three"."""
    convoys = city.ground_truth().convoys
    sizes = Counter(len(group) for group in convoys)
    assert set(sizes) <= {2, 3}
    members = sum(len(group) for group in convoys)
    assert members / city.plan.vehicles == pytest.approx(0.01, abs=0.004)
    assert sizes[2] / len(convoys) == pytest.approx(0.8, abs=0.15)


def test_reads_arrive_within_the_documented_delays(reads: pa.Table) -> None:
    """"`received_at` is `ts` plus 0.15–2.7 s (fixed) or 0.5–6.5 s (patrol cars, 5 %
    buffered up to 10 min in dead spots)"."""
    delay = (reads.column("received_at").cast(pa.int64()).to_numpy()
             - reads.column("ts").cast(pa.int64()).to_numpy()) / 1000
    mobile = pc.match_substring(reads.column("camera_id"), "-car-").to_numpy(
        zero_copy_only=False)
    assert delay[~mobile].min() >= 0.15 and delay[~mobile].max() <= 2.7
    assert delay[mobile].min() >= 0.5 and delay[mobile].max() <= 6.5 + 600
    assert float(np.mean(delay[mobile] > 6.5)) == pytest.approx(0.05, abs=0.01)


def test_the_ocr_knobs_blocks_and_batches_have_their_documented_defaults(city: City) -> None:
    """The OCR table's defaults (5 %, 1 %, 3 %, 1 %); "fixed blocks of `BLOCK_READS`
    (131,072)"; "a pyarrow.Table of at most batch_size (1,000,000) reads"."""
    rates = OcrRates()
    assert (rates.confusable, rates.other, rates.region_blank, rates.region_wrong) == (
        0.05, 0.01, 0.03, 0.01)
    assert BLOCK_READS == 131_072
    batches = list(city.generate(1, 1_000_001, START, 1.0))
    assert [b.num_rows for b in batches] == [1_000_000, 1]


def test_the_search_workload_mixes_kinds_in_the_documented_shares(city: City) -> None:
    """"in shares 40/20/20/15/5 %"; camera searches span "15 min to 2 h"; wildcards have
    "one or two `?` or a known prefix and `*`"."""
    searches = city.search_workload(1, 4_000, start=START, days=7.0)
    shares = Counter(str(s["kind"]) for s in searches)
    for kind, share in {"exact": 0.40, "wildcard": 0.20, "fuzzy": 0.20, "camera": 0.15,
                        "convoy": 0.05}.items():
        assert shares[kind] / len(searches) == pytest.approx(share, abs=0.03), kind
    for s in searches:
        if s["kind"] == "camera":
            span = (datetime.fromisoformat(str(s["end"]))
                    - datetime.fromisoformat(str(s["start"])))
            assert timedelta(minutes=15) <= span <= timedelta(hours=2)
        elif s["kind"] == "wildcard":
            pattern = str(s["pattern"])
            assert pattern.count("?") in (1, 2) or (pattern.endswith("*")
                                                     and "?" not in pattern)
