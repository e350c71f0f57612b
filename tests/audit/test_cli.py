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
