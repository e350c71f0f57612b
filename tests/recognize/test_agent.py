"""The agent turns a folder of frames into reads on the server, losing nothing."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from plateledger.read import ReadSubmission
from plateledger.recognize import Recognizer, VideoError
from plateledger.recognize.agent import Agent, AgentConfig
from plateledger.recognize.source import frames
from plateledger.recognize.spool import Spool
from plateledger.recognize.synthetic import synthetic_frames
from tests.recognize.conftest import Intake, free_port

T0 = datetime(2024, 11, 24, 14, 0, tzinfo=UTC)


def camera_folder(folder: Path, count: int = 2) -> list[str]:
    """``count`` frames of different cars a minute apart, plus a corrupt and an empty file."""
    folder.mkdir()
    plates = []
    for i, shot in enumerate(synthetic_frames(count, 7)):
        path = folder / f"frame-{i:02d}.jpg"
        path.write_bytes(shot.jpeg(quality=95))
        stamp = (T0 + timedelta(minutes=i)).timestamp()
        os.utime(path, (stamp, stamp))
        plates.append(shot.plate)
    (folder / "frame-90-corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    (folder / "frame-91-empty.jpg").write_bytes(b"")
    return plates


def config(server: str, spool: Path) -> AgentConfig:
    return AgentConfig(server=server, key="k", camera_id="cam-7", spool=spool)


def test_the_agent_posts_one_read_per_car_and_skips_bad_files(
    synthetic_recognizer: Recognizer, intake: Intake, tmp_path: Path
) -> None:
    plates = camera_folder(tmp_path / "frames")
    agent = Agent(synthetic_recognizer, config(intake.url, tmp_path / "spool.db"))
    stats = agent.run(str(tmp_path / "frames"))
    assert stats.frames == 4 and stats.bad_frames == 2
    reads = [ReadSubmission.model_validate(r) for r in intake.reads()]
    assert [r.plate for r in reads] == plates
    assert all(r.camera_id == "cam-7" and r.read_id is not None for r in reads)
    assert reads[0].ts == T0
    with Spool(tmp_path / "spool.db") as spool:
        assert spool.backlog() == 0


def test_reads_wait_in_the_spool_while_the_server_is_down_and_go_after_a_restart(
    synthetic_recognizer: Recognizer, tmp_path: Path
) -> None:
    camera_folder(tmp_path / "frames")
    port = free_port()
    spool_path = tmp_path / "spool.db"
    down = Agent(synthetic_recognizer, config(f"http://127.0.0.1:{port}", spool_path))
    down.run(str(tmp_path / "frames"), drain_timeout=0.5)
    with Spool(spool_path) as spool:
        spooled = [item.item_id for item in spool.next_batch(10)]
    assert len(spooled) == 2

    server = Intake(port)
    server.start()
    try:
        empty = tmp_path / "nothing-new"
        empty.mkdir()
        Agent(synthetic_recognizer, config(server.url, spool_path)).run(str(empty))
        assert [r["read_id"] for r in server.reads()] == spooled
    finally:
        server.stop()
    with Spool(spool_path) as spool:
        assert spool.backlog() == 0


def test_a_video_is_sampled_and_a_truncated_one_ends_without_error(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (64, 48))
    for i in range(20):
        writer.write(np.full((48, 64, 3), i * 10, dtype=np.uint8))
    writer.release()
    sampled = list(frames(str(path), every=0.5))
    assert len(sampled) == 4
    assert sampled[1].ts - sampled[0].ts == timedelta(seconds=0.5)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 7 // 10])
    assert 0 < len(list(frames(str(path), every=0.5))) < 4


def test_a_video_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"not a video")
    with pytest.raises(VideoError, match="cannot open video"):
        list(frames(str(path)))
