"""`plateledger admin key issue-url` / `revoke-url`: an operator gives alprd an ingest URL,
each change logged with its audit entry, the secret never."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.cli.admin import app
from plateledger.settings import Settings

runner = CliRunner()


def test_an_operator_issues_and_revokes_an_ingest_url_each_logged(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    for step in (
        ["init"],
        ["agency", "add", "Union City PD", "--slug", "ucpd", "--kind", "municipal",
         "--state", "CA"],
        ["camera", "add", "ucpd-lot-north-1", "--agency", "ucpd", "--lat", "37.6",
         "--lon", "-122.0"],
    ):
        assert runner.invoke(app, [*step, *data]).exit_code == 0
    issued = runner.invoke(app, ["key", "issue-url", "--agency", "ucpd",
                                 "--camera", "ucpd-lot-north-1", "--label", "alprd", *data])
    assert issued.exit_code == 0, issued.output
    raw = issued.output.strip()
    prefix, secret = raw.split("_")[1], raw.split("_", 2)[2]
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        principal = catalog.authenticate_ingest_url(raw)
        assert principal is not None and principal.camera_id == "ucpd-lot-north-1"
        assert catalog.authenticate_api_key(raw) is None  # not an API key
    finally:
        catalog.close()
    revoked = runner.invoke(app, ["key", "revoke-url", prefix, *data])
    assert revoked.exit_code == 0, revoked.output
    other_camera = runner.invoke(app, ["key", "issue-url", "--agency", "ucpd",
                                       "--camera", "nope", *data])
    assert other_camera.exit_code != 0
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        assert catalog.authenticate_ingest_url(raw) is None
        log = AuditLog(catalog.engine, signer=None)
        entries = [log.entry(i).entry for i in range(log.size())]
    finally:
        catalog.close()
    changes = [e for e in entries if e["type"] == "key_change"]
    assert [e["change"] for e in changes] == ["issue_ingest_url", "revoke_ingest_url"]
    assert all(e["prefix"] == prefix for e in changes)
    assert changes[0]["camera_id"] == "ucpd-lot-north-1"
    assert all(secret not in str(e) for e in entries)
