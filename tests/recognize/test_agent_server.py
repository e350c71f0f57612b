"""End to end: photos and a video become searchable reads through the agent and the real
server, with the server stopped and restarted midway."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx

from plateledger.recognize import Recognizer
from plateledger.recognize.agent import Agent, AgentConfig
from plateledger.recognize.spool import Spool
from plateledger.recognize.synthetic import SyntheticFrame, synthetic_frames
from tests.conftest import LiveServer

SEED = 4711


def photos(folder: Path, shots: list[SyntheticFrame], start: datetime) -> None:
    folder.mkdir()
    for i, shot in enumerate(shots):
        path = folder / f"photo-{i:02d}.jpg"
        path.write_bytes(shot.jpeg(quality=95))
        stamp = (start + timedelta(minutes=i)).timestamp()
        os.utime(path, (stamp, stamp))


def video(path: Path, shots: list[SyntheticFrame], seconds_each: float = 1.0) -> None:
    """A clip at 5 frames a second showing each car for ``seconds_each``."""
    height, width = shots[0].image.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, (width, height))
    for shot in shots:
        for _ in range(int(5 * seconds_each)):
            writer.write(shot.image)
    writer.release()


def searchable(server: LiveServer, token: str, plate: str, kind: str = "exact") -> int:
    response = httpx.post(
        f"{server.url}/v1/searches", timeout=60, headers={"Authorization": f"Bearer {token}"},
        json={"kind": kind, "params": {"plate": plate}, "purpose": "stolen_vehicle",
              "offense_type": "240",
              "case_number": "UC-2026-0900", "reason": "stolen car seen by a camera"},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def test_photos_and_a_video_reach_search_across_a_server_restart(
    live_server: LiveServer, synthetic_recognizer: Recognizer, tmp_path: Path
) -> None:
    shots = list(synthetic_frames(5, SEED))
    still, moving = shots[:3], shots[3:]
    photos(tmp_path / "photos", still, datetime.now(UTC) - timedelta(minutes=30))
    clips = tmp_path / "clips"
    clips.mkdir()
    video(clips / "clip.avi", moving)
    spool = tmp_path / "agent-spool.db"
    config = AgentConfig(server=live_server.url, key=live_server.camera_key,
                         camera_id=live_server.camera_id, spool=spool, every=0.5)

    live_server.stop()
    try:
        down = Agent(synthetic_recognizer, config).run(str(tmp_path / "photos"), drain_timeout=0.5)
        assert down.frames == 3
        with Spool(spool) as waiting:
            assert waiting.backlog() >= 3  # every car spooled, nothing sent
    finally:
        live_server.start()

    # The agent, started again, sends what it spooled and then the video's reads.
    up = Agent(synthetic_recognizer, config).run(str(clips), drain_timeout=60)
    assert up.frames >= 4
    with Spool(spool) as sent:
        assert sent.backlog() == 0

    # What the recogniser reads in each picture (it misreads some: see bench/recognition)
    # is exactly searchable; every true plate is found by a fuzzy search.
    read = {s.plate: synthetic_recognizer.recognize(s.image)[0].plate for s in shots}
    token = live_server.token("ucpd.investigator")
    deadline = time.monotonic() + 30
    missing = list(read.values())
    while missing and time.monotonic() < deadline:
        missing = [p for p in missing if searchable(live_server, token, p) == 0]
        if missing:
            time.sleep(0.5)
    assert missing == [], f"not searchable: {missing}"
    assert all(searchable(live_server, token, truth, "fuzzy") >= 1 for truth in read)
    # each car of the video is one read (merged sightings), not one per frame sampled
    assert all(searchable(live_server, token, read[s.plate]) == 1 for s in moving)
