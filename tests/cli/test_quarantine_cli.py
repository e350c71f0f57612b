"""`plateledger admin quarantine …` and `… camera-alias …` against a running server: an
admin turns quarantine on for a key, lists what it kept, maps the camera, replays the item
(stored once) and discards another."""

from __future__ import annotations

import re
import time

import httpx
from typer.testing import CliRunner

from plateledger.catalog import open_catalog
from plateledger.cli.main import app
from plateledger.settings import Settings
from tests.conftest import LiveServer

runner = CliRunner()


def test_an_admin_lists_maps_replays_and_discards_from_the_command_line(
    live_server: LiveServer,
) -> None:
    catalog = open_catalog(Settings(data_dir=live_server.data_dir))
    try:
        camera = catalog.camera(live_server.camera_id)
        assert camera is not None
        agency = catalog.agency(camera.owner_id)
        assert agency is not None
        key = catalog.issue_api_key(agency.id, label="frigate bridge")
    finally:
        catalog.engine.dispose()
    where = ["--url", live_server.url, "--token", live_server.token(f"{agency.slug}.admin")]

    def cli(*args: str) -> str:
        result = runner.invoke(app, ["admin", *args, *where])
        assert result.exit_code == 0, result.output
        return result.output

    cli("quarantine", "enable", "api_key", key.split("_")[1])
    event = {
        "type": "lpr",
        "camera": "cli-porch",
        "plate": "7CLI001",
        "score": 0.9,
        "timestamp": time.time(),
    }
    for plate in ("7CLI001", "7CLI002"):
        posted = httpx.post(
            f"{live_server.url}/v1/reads/frigate",
            json=event | {"plate": plate},
            headers={"X-API-Key": key},
            timeout=60,
        )
        assert posted.status_code == 200 and len(posted.json()["quarantined"]) == 1
    listed = cli("quarantine", "list", "--status", "held", "--credential", key.split("_")[1])
    assert "2 item(s)" in listed and "unknown camera 'cli-porch'" in listed
    assert "7CLI00" not in listed  # an admin is never shown a plate
    first, second = sorted(int(line.split("\t")[0]) for line in listed.splitlines()[1:])

    cli("camera-alias", "add", "frigate", "cli-porch", live_server.camera_id)
    assert "cli-porch" in cli("camera-alias", "list")
    replayed = cli("quarantine", "replay", str(first))
    assert "1 read(s) stored" in replayed and "rt_" in replayed  # read ids as tokens
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", replayed) and "7CLI00" not in replayed
    again = runner.invoke(app, ["admin", "quarantine", "replay", str(first), *where])
    assert again.exit_code == 1 and "409" in again.output
    cli("quarantine", "discard", str(second))
    gone = cli("quarantine", "list", "--status", "discarded", "--credential", key.split("_")[1])
    assert "1 item(s)" in gone and f"{second}\tdiscarded" in gone
    cli("camera-alias", "remove", "frigate", "cli-porch")
    assert "cli-porch" not in cli("camera-alias", "list")
