"""A hot list's source file type, given over HTTP and at the command line: kept with the
list, and refused (422, naming the rule) where the owner's law packs forbid it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from plateledger.cli.main import app as cli
from tests.api.conftest import login
from tests.conftest import LiveServer

RULE = "ca-gov-7284.6-no-immigration-violator-file"
ROWS = [{"plate": "7ABC123"}, {"plate": "8XYZ999", "file_type": "ncic_stolen_plate"}]


def test_a_json_list_keeps_its_file_type(client: TestClient) -> None:
    admin = login(client, "ucpd-admin")
    response = client.post("/v1/hotlists", headers=admin, json={
        "name": "stolen", "category": "stolen_vehicle", "file_type": "ncic_stolen_vehicle",
        "entries": [{"plate": "7ABC123"}],
    })
    assert response.status_code == 201, response.text
    assert response.json()["file_types"] == ["ncic_stolen_vehicle"]
    [listed] = client.get("/v1/hotlists", headers=admin).json()
    assert listed["file_type"] == "ncic_stolen_vehicle"


def test_a_json_list_of_a_refused_file_type_answers_422_naming_the_rule(
    client: TestClient,
) -> None:
    admin = login(client, "ucpd-admin")
    response = client.post("/v1/hotlists", headers=admin, json={
        "name": "ivf", "category": "wanted_person", "file_type": "ncic_immigration_violator",
        "entries": [{"plate": "7ABC123"}],
    })
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "file_type_refused"
    assert RULE in error["message"]
    assert client.get("/v1/hotlists", headers=admin).json() == []


def test_an_upload_takes_the_list_file_type_from_the_form(client: TestClient) -> None:
    admin = login(client, "ucpd-admin")
    text = "plate\n7ABC123\n"
    response = client.post(
        "/v1/hotlists/import", headers=admin,
        files={"file": ("list.csv", text.encode(), "text/csv")},
        data={"name": "plates", "category": "stolen_vehicle", "file_type": "ncic-stolen-plate"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["file_types"] == ["ncic_stolen_plate"]
    refused = client.post(
        "/v1/hotlists/import", headers=admin,
        files={"file": ("ivf.csv", text.encode(), "text/csv")},
        data={"name": "ivf", "category": "wanted_person",
              "file_type": "ncic_immigration_violator"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "file_type_refused"
    assert RULE in refused.json()["error"]["message"]


def test_a_file_type_off_the_closed_list_answers_422_naming_the_list(
    client: TestClient,
) -> None:
    admin = login(client, "ucpd-admin")
    response = client.post("/v1/hotlists", headers=admin, json={
        "name": "x", "category": "stolen_vehicle", "file_type": "interpol",
        "entries": [{"plate": "7ABC123"}],
    })
    assert response.status_code == 422, response.text
    assert "file type `interpol` is not one of: ncic_stolen_vehicle" in response.text


def test_the_command_line_sends_the_file_type(live_server: LiveServer, tmp_path: Path) -> None:
    listed = tmp_path / "ivf.csv"
    listed.write_text("plate\nZZQ9Q9Q\n")
    result = CliRunner().invoke(cli, [
        "hotlist", "import", str(listed), "--name", "ivf", "--category", "wanted_person",
        "--file-type", "ncic_immigration_violator", "--url", live_server.url,
        "--token", live_server.token("ucpd.admin"),
    ])
    assert result.exit_code == 1, result.output
    assert RULE in result.output
