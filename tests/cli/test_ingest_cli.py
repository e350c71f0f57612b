"""`plateledger ingest FILE`: a CSV of reads sent to a real server; every refused row is
named by its line in the file, whether the file or the server refused it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import LiveServer


def test_every_refused_row_is_named_by_its_line_and_the_good_ones_are_stored(
    live_server: LiveServer, tmp_path: Path
) -> None:
    when = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    csv = tmp_path / "reads.csv"
    csv.write_text(
        "camera_id,ts,plate,confidence\n"
        f"{live_server.camera_id},{when},7CLI001,0.91\n"  # line 2: stored
        f"{live_server.camera_id},not-a-time,7CLI002,0.9\n"  # line 3: the file's fault
        f"no-such-camera,{when},7CLI003,0.9\n"  # line 4: the server refuses it
        f"{live_server.camera_id},{when},7CLI004,0.88\n"  # line 5: stored
    )
    result = subprocess.run(
        [sys.executable, "-m", "plateledger.cli.main", "ingest", str(csv),
         "--key", live_server.camera_key, "--url", live_server.url],
        capture_output=True, text=True, timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 reads stored, 2 refused" in output, output
    assert "line 3: ts" in output, output
    assert "line 4: camera_id" in output and "no-such-camera" in output, output
    assert "item " not in output, output
