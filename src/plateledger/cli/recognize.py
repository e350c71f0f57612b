"""`plateledger recognize`, `plateledger agent` and `plateledger mqtt`: cameras to reads.

Each command is a function on `app`, so that the top-level command line can mount it as a
command of its own (``app.command()(recognize.agent)``).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from plateledger.recognize import ENGINES, RecognizeError, Recognizer, load_recognizer
from plateledger.recognize.agent import Agent, AgentConfig
from plateledger.recognize.bridge import Broker, MqttBridge
from plateledger.recognize.framing import DETECT_SIDE, Roi
from plateledger.recognize.sender import ReadSender, SenderThread
from plateledger.recognize.source import frames
from plateledger.recognize.spool import Spool

app = typer.Typer(help="Recognise plates in images and video; forward camera reads.")
out = Console()
err = Console(stderr=True)

DEFAULT_SPOOL = Path("plateledger-spool.db")


def _engine_option(value: str) -> str:
    if value not in ENGINES:
        raise typer.BadParameter(f"unknown engine `{value}` (known: {', '.join(ENGINES)})")
    return value


def _roi_option(value: str | None) -> str | None:
    if value is not None:
        try:
            Roi.parse(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


RoiOption = Annotated[str | None, typer.Option(
    callback=_roi_option, help="region of interest x,y,w,h as fractions of the frame "
    "(plates are looked for only inside it)")]
DetectSideOption = Annotated[int | None, typer.Option(
    min=320, max=4096, help="longest side of the text detector's input where it looks over "
    f"the whole frame, px (default {DETECT_SIDE}: larger finds smaller plates, smaller is "
    "faster)")]


FindPlatesOption = Annotated[bool | None, typer.Option(
    "--find-plates/--no-find-plates", show_default=False, help="find plates with the plate "
    "detector first and look for text only around them, over the whole frame where nothing "
    "plate-like is read there (the default engine's default); --no-find-plates looks over "
    "the whole frame every time")]


def _recognizer(engine: str, roi: str | None, detect_side: int | None,
                find_plates: bool | None = None) -> Recognizer:
    try:
        return load_recognizer(engine, roi=Roi.parse(roi) if roi else None,
                               detect_side=detect_side, find_plates=find_plates)
    except RecognizeError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def recognize(
    source: Annotated[str, typer.Argument(help="image file, folder of images, or video")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per read")] = False,
    engine: Annotated[str, typer.Option(callback=_engine_option)] = "rapidocr",
    every: Annotated[float, typer.Option(min=0.04, help="seconds between video frames")] = 0.5,
    roi: RoiOption = None,
    detect_side: DetectSideOption = None,
    find_plates: FindPlatesOption = None,
) -> None:
    """Read the plates in an image, a folder of images or a video (a folder's files that
    are neither images nor videos are skipped); ``--json`` names each read's file."""
    recognizer = _recognizer(engine, roi, detect_side, find_plates)
    table = Table("frame", "plate", "confidence", "region", "box")
    failures = 0
    try:
        for frame in frames(source, every=every):
            try:
                reads = recognizer.recognize(frame.image, ts=frame.ts)
            except RecognizeError as exc:
                failures += 1
                err.print(f"[yellow]skipped[/yellow] {exc}")
                continue
            for r in reads:
                if as_json:
                    out.print_json(json.dumps({
                        "file": frame.file or frame.label, "frame": frame.label,
                        "ts": r.ts.isoformat(), "plate": r.plate, "raw": r.raw,
                        "candidates": [list(c) for c in r.candidates],
                        "confidence": r.confidence, "char_confidences": r.char_confidences,
                        "region": r.region, "region_confidence": r.region_confidence,
                        "box": r.box,
                    }), indent=None)
                else:
                    table.add_row(Path(frame.label).name, r.plate, f"{r.confidence:.2f}",
                                  r.region or "?", " ".join(map(str, r.box)))
    except (RecognizeError, FileNotFoundError) as exc:
        err.print(f"[red]error[/red]: {exc}")
        raise typer.Exit(1) from None
    if not as_json:
        out.print(table)
    if failures:
        raise typer.Exit(2)


def _status(rows: list[tuple[str, str]]) -> Table:
    table = Table(show_header=False, box=None)
    for name, value in rows:
        table.add_row(f"[bold]{name}[/bold]", value)
    return table


@app.command()
def agent(
    source: Annotated[str, typer.Option(help="folder, video file or rtsp:// URL")],
    server: Annotated[str, typer.Option(envvar="PLATELEDGER_URL", help="server base URL")],
    key: Annotated[str, typer.Option(envvar="PLATELEDGER_KEY", help="camera API key")],
    camera_id: Annotated[str, typer.Option(help="this camera's id at the server")],
    spool: Annotated[Path, typer.Option(help="local SQLite spool")] = DEFAULT_SPOOL,
    engine: Annotated[str, typer.Option(callback=_engine_option)] = "rapidocr",
    every: Annotated[float, typer.Option(min=0.04, help="seconds between video frames")] = 0.5,
    gap: Annotated[float, typer.Option(help="seconds that end a sighting")] = 3.0,
    min_confidence: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
    lat: Annotated[float | None, typer.Option(min=-90, max=90)] = None,
    lon: Annotated[float | None, typer.Option(min=-180, max=180)] = None,
    drain_timeout: Annotated[float, typer.Option(help="seconds to wait for the spool "
                                                      "to empty at the end")] = 30.0,
    roi: RoiOption = None,
    detect_side: DetectSideOption = None,
    find_plates: FindPlatesOption = None,
) -> None:
    """Run a camera: recognise, merge sightings, spool them and send them to the server.

    Reads are kept in the spool until the server acknowledges them; a later run sends
    whatever an earlier one could not.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    config = AgentConfig(server=server, key=key, camera_id=camera_id, spool=spool,
                         every=every, gap=timedelta(seconds=gap),
                         min_confidence=min_confidence, lat=lat, lon=lon)
    runner = Agent(_recognizer(engine, roi, detect_side, find_plates), config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    result: list[BaseException] = []

    def work() -> None:
        try:
            runner.run(source, stop=stop, drain_timeout=drain_timeout)
        except BaseException as exc:
            result.append(exc)

    worker = threading.Thread(target=work, name="plateledger-agent")
    worker.start()
    try:
        with Live(console=err, refresh_per_second=2) as live:
            while worker.is_alive():
                s, sent = runner.stats, runner.sender.stats
                live.update(_status([
                    ("frames", f"{s.frames} ({s.bad_frames} unreadable)"),
                    ("reads", f"{s.recognitions} recognised, {s.spooled} spooled"),
                    ("server", f"{sent.sent} sent, {sent.dead} rejected, "
                               f"{runner.backlog} waiting"),
                    ("last plates", " ".join(s.last_plates) or "-"),
                    ("last problem", sent.last_error or s.last_error or "-"),
                ]))
                worker.join(0.5)
    except KeyboardInterrupt:
        stop.set()
        worker.join()
    if result:
        err.print(f"[red]error[/red]: {result[0]}")
        raise typer.Exit(1)
    with Spool(spool) as left:
        backlog, dead = left.backlog(), left.dead_count()
    err.print(f"done: {runner.stats.spooled} reads spooled, {backlog} still waiting, "
              f"{dead} rejected (dead letters in `{spool}`)")


@app.command()
def mqtt(
    broker: Annotated[str, typer.Option(
        help="mqtt://[user:password@]host:port, or mqtts:// for TLS")],
    topic: Annotated[list[str], typer.Option(help="topic to follow (repeatable)")],
    server: Annotated[str, typer.Option(envvar="PLATELEDGER_URL", help="server base URL")],
    key: Annotated[str, typer.Option(envvar="PLATELEDGER_KEY", help="API key")],
    camera_map: Annotated[list[str] | None, typer.Option(
        help="NAME=CAMERA_ID: a Frigate camera name or a topic, and its camera id")] = None,
    spool: Annotated[Path, typer.Option(help="local SQLite spool")] = DEFAULT_SPOOL,
) -> None:
    """Forward Frigate LPR events and Plate Minder results from MQTT to the server."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        address = Broker.parse(broker)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--broker") from None
    mapping: dict[str, str] = {}
    for pair in camera_map or []:
        name, sep, camera = pair.partition("=")
        if not sep or not name or not camera:
            raise typer.BadParameter(f"`{pair}` must look like NAME=CAMERA_ID",
                                     param_hint="--camera-map")
        mapping[name] = camera
    Spool(spool).close()  # create it before two threads open it
    bridge = MqttBridge(address, list(topic), spool, camera_map=mapping)
    sender = ReadSender(server, key)
    thread = SenderThread(spool, sender)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    bridge.start()
    thread.start()
    try:
        with Live(console=err, refresh_per_second=2) as live:
            while not stop.is_set():
                b = bridge.stats
                live.update(_status([
                    ("broker", f"{broker} ({'connected' if b.connected else 'connecting'})"),
                    ("messages", f"{b.received} received, {b.spooled} spooled, "
                                 f"{b.skipped} skipped"),
                    ("server", f"{sender.stats.sent} sent, {sender.stats.dead} rejected, "
                               f"{thread.backlog} waiting"),
                    ("last problem", sender.stats.last_error or b.last_error or "-"),
                ]))
                if b.spooled:
                    thread.wake()
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        bridge.stop()
        thread.stop()
        sender.close()
