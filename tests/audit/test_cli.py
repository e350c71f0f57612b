"""The ``audit`` command line on a real data directory."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from typer.testing import CliRunner

from plateledger.audit import AuditLog, NoteSigner
from plateledger.audit.schema import audit_entries
from plateledger.cli.audit import app
from tests.audit.conftest import search

runner = CliRunner()


def test_key_prints_the_verifier_key(log: AuditLog, data_dir: Path, signer: NoteSigner) -> None:
    result = runner.invoke(app, ["key", "--data-dir", str(data_dir)])
    assert result.exit_code == 0
    assert result.stdout.strip() == signer.verifier_key()


def test_verify_passes_then_names_the_edited_entry(log: AuditLog, data_dir: Path) -> None:
    log.append_many([search(n) for n in range(12)])
    saved = data_dir / "saved.txt"
    checkpoint = runner.invoke(app, ["checkpoint", "--data-dir", str(data_dir)])
    assert checkpoint.exit_code == 0
    saved.write_text(checkpoint.stdout)
    ok = runner.invoke(app, ["verify", "--data-dir", str(data_dir), "--checkpoint", str(saved)])
    assert ok.exit_code == 0, ok.output
    with log.engine.begin() as conn:
        conn.execute(update(audit_entries).where(audit_entries.c.log_index == 4)
                     .values(entry=b'{"type":"search"}'))  # fmt: skip
    bad = runner.invoke(app, ["verify", "--data-dir", str(data_dir)])
    assert bad.exit_code == 1
    assert "entry 4" in bad.output


def test_verify_needs_exactly_one_source() -> None:
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 1
    assert "--url" in result.output


def test_rotate_key_logs_the_rotation_and_the_log_still_verifies(
    data_dir: Path, signer: NoteSigner
) -> None:
    from plateledger.catalog import open_catalog
    from plateledger.settings import Settings

    catalog = open_catalog(Settings(data_dir=data_dir))  # as a server's data dir is made
    log = AuditLog(catalog.engine, signer=signer)
    for n in range(3):
        log.append(search(n))
    result = runner.invoke(app, ["rotate-key", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert signer.verifier_key() in result.output
    rotation = log.entry(log.size() - 1).entry
    assert rotation["type"] == "log_key_rotation"
    assert rotation["old_key"] == signer.verifier_key() != rotation["new_key"]
    assert rotation["new_key"] in result.output
    assert any(p.name.endswith(".retired") for p in (data_dir / "keys").iterdir())
    verified = runner.invoke(app, ["verify", "--data-dir", str(data_dir)])
    assert verified.exit_code == 0, verified.output
    catalog.engine.dispose()


def test_rotate_key_refuses_while_a_server_holds_the_data_dir(
    log: AuditLog, data_dir: Path
) -> None:
    from plateledger.settings import Settings
    from plateledger.store.embedded import holding

    size = log.size()
    with holding(Settings(data_dir=data_dir).store_dir):
        result = runner.invoke(app, ["rotate-key", "--data-dir", str(data_dir)])
    assert result.exit_code != 0
    assert "stop it before rotating" in " ".join(result.output.split())
    assert log.size() == size
