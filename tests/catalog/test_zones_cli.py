"""`plateledger admin zone add|list|revoke`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.cli.main import app
from plateledger.settings import Settings

runner = CliRunner()


def test_an_operator_adds_lists_and_revokes_zones(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path)]
    assert runner.invoke(app, ["admin", "agency", "add", "Seattle PD", "--slug", "spd",
                               "--kind", "municipal", "--state", "WA", *base]).exit_code == 0
    added = runner.invoke(app, ["admin", "zone", "add", "Garfield High", "--agency", "spd",
                                "--place", "school", "--lat", "47.6", "--lon", "-122.3",
                                "--radius", "150", *base])
    assert added.exit_code == 0, added.output
    assert "wa-sb6002-sensitive-location" in added.output
    polygon = runner.invoke(app, ["admin", "zone", "add", "Clinic", "--agency", "spd",
                                  "--place", "health_care", "--point", "47.6,-122.3",
                                  "--point", "47.6,-122.29", "--point", "47.61,-122.29",
                                  *base])
    assert polygon.exit_code == 0 and "agency-zone-2" in polygon.output
    listed = runner.invoke(app, ["admin", "zone", "list", "--agency", "spd", *base])
    assert listed.exit_code == 0 and "Garfield" in listed.output and "polygon" in listed.output
    assert runner.invoke(app, ["admin", "zone", "revoke", "1", *base]).exit_code == 0
    refused = runner.invoke(app, ["admin", "zone", "revoke", "1", *base])
    assert refused.exit_code == 1 and "already revoked" in refused.output
    bad = runner.invoke(app, ["admin", "zone", "add", "x", "--agency", "spd", "--place",
                              "school", "--point", "47.6", *base])
    assert bad.exit_code == 1 and "`47.6`" in bad.output

    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        log = AuditLog(catalog.engine, signer=None)
        changes = [log.entry(i).entry for i in range(log.size())]
        assert [(e["type"], e["change"]) for e in changes if e["type"] == "zone_change"] == [
            ("zone_change", "add"), ("zone_change", "add"), ("zone_change", "revoke")]
    finally:
        catalog.close()


def test_the_cli_refuses_a_camera_inside_a_zone(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path)]
    runner.invoke(app, ["admin", "agency", "add", "Seattle PD", "--slug", "spd", "--kind",
                        "municipal", "--state", "WA", *base])
    runner.invoke(app, ["admin", "zone", "add", "Garfield High", "--agency", "spd", "--place",
                        "school", "--lat", "47.6", "--lon", "-122.3", "--radius", "150", *base])
    refused = runner.invoke(app, ["admin", "camera", "add", "spd-fx-1", "--agency", "spd",
                                  "--lat", "47.6", "--lon", "-122.3", *base])
    assert refused.exit_code == 1
    assert "wa-sb6002-sensitive-location" in refused.output
