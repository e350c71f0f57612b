"""`plateledger admin`: bootstrap a catalog from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from plateledger.catalog import open_catalog
from plateledger.cli.admin import app
from plateledger.settings import Settings

runner = CliRunner()


def test_an_operator_bootstraps_an_agency_a_user_a_camera_and_a_key(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    steps = [
        ["init"],
        ["agency", "add", "Union City PD", "--slug", "ucpd", "--kind", "municipal",
         "--state", "CA", "--retention-days", "60"],
        ["user", "add", "alice", "--agency", "ucpd", "--role", "admin",
         "--password", "correct horse battery"],
        ["camera", "add", "ucpd-fx-001", "--agency", "ucpd", "--lat", "37.6",
         "--lon", "-122.0"],
        ["key", "issue", "--agency", "ucpd", "--camera", "ucpd-fx-001"],
    ]
    results = [runner.invoke(app, [*step, *data]) for step in steps]
    assert [r.exit_code for r in results] == [0] * len(steps), [r.output for r in results]
    raw = results[-1].output.strip()
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        key = catalog.authenticate_api_key(raw)
        assert key is not None and key.camera_id == "ucpd-fx-001"
        assert catalog.agency_by_slug("ucpd").retention_nonhit_days == 60  # type: ignore[union-attr]
        revoked = runner.invoke(app, ["key", "revoke", key.key_prefix, *data])
        assert revoked.exit_code == 0
        listed = runner.invoke(app, ["user", "list", *data])
        assert "alice" in listed.output
    finally:
        catalog.close()


def test_an_investigator_added_from_the_cli_gets_a_totp_secret(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    runner.invoke(app, ["agency", "add", "Fremont PD", "--slug", "fpd", "--kind", "municipal",
                        "--state", "CA", *data])
    result = runner.invoke(app, ["user", "add", "ivy", "--agency", "fpd", "--role",
                                 "investigator", "--password", "correct horse battery", *data])
    assert result.exit_code == 0
    assert "otpauth://totp/" in result.output


def test_a_refusal_prints_the_reason_and_fails(tmp_path: Path) -> None:
    result = runner.invoke(app, ["agency", "add", "X", "--slug", "x", "--kind", "city",
                                 "--state", "CA", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "agency kind `city`" in result.output


def test_every_change_made_from_the_cli_is_in_the_audit_log(tmp_path: Path) -> None:
    from plateledger.audit import AuditLog

    data = ["--data-dir", str(tmp_path)]
    steps = [
        ["agency", "add", "Union City PD", "--slug", "ucpd", "--kind", "municipal",
         "--state", "CA"],
        ["agency", "add", "Fremont PD", "--slug", "fpd", "--kind", "municipal", "--state", "CA"],
        ["agreement", "add", "--owner", "ucpd", "--recipient", "fpd", "--action", "search",
         "--purpose", "stolen_vehicle", "--created-by", "chief"],
        ["agreement", "revoke", "1"],
    ]
    for step in steps:
        result = runner.invoke(app, [*step, *data])
        assert result.exit_code == 0, result.output
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        log = AuditLog(catalog.engine, signer=None)
        entries = [log.entry(i).entry for i in range(log.size())]
    finally:
        catalog.close()
    assert [(e["type"], e["change"]) for e in entries] == [
        ("agency_change", "add"), ("agency_change", "add"),
        ("agreement_change", "add"), ("agreement_change", "revoke"),
    ]
    added, revoked = entries[2], entries[3]
    assert added["owner_agency"] == "ucpd" and added["partner_agency"] == "fpd"
    assert added["policy_set_hash"] != revoked["policy_set_hash"]  # the grant is gone
    assert all(e["user"].startswith("cli:") for e in entries)


def test_an_operator_sets_settings_class_acting_for_and_revokes_a_declaration(
    tmp_path: Path,
) -> None:
    from plateledger.audit import AuditLog

    data = ["--data-dir", str(tmp_path)]
    document = tmp_path / "declaration.pdf"
    document.write_bytes(b"signed")
    steps = [
        ["agency", "add", "Union City PD", "--slug", "ucpd", "--kind", "municipal",
         "--state", "CA"],
        ["agency", "add", "FBI San Francisco", "--slug", "fbi-sf", "--kind", "municipal",
         "--state", "CA"],
        ["agency", "set", "ucpd", "--purpose", "homicide", "--case-number-required"],
        ["agency", "class", "fbi-sf", "--kind", "federal"],
        ["user", "add", "tfo", "--agency", "ucpd", "--role", "admin",
         "--password", "correct horse battery"],
        ["user", "acting-for", "tfo", "--agency", "fbi-sf"],
        ["declaration", "add", "--agency", "fbi-sf", "--document", str(document),
         "--signer", "SAC", "--signed-at", "2026-01-01T00:00:00"],
        ["declaration", "revoke", "1"],
    ]
    for step in steps:
        result = runner.invoke(app, [*step, *data])
        assert result.exit_code == 0, (step, result.output)
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        ucpd, fbi = catalog.agency_by_slug("ucpd"), catalog.agency_by_slug("fbi-sf")
        assert ucpd is not None and fbi is not None
        assert (ucpd.purposes, ucpd.case_number_required) == (["homicide"], True)
        assert fbi.kind == "federal"
        tfo = catalog.user_by_username("tfo")
        assert tfo is not None and tfo.acting_for_agency_id == fbi.id
        [declaration] = catalog.declarations()
        assert declaration.revoked_at is not None
        log = AuditLog(catalog.engine, signer=None)
        changes = [log.entry(i).entry["change"] for i in range(log.size())]
    finally:
        catalog.close()
    assert {"agency_settings", "class", "acting_for", "declaration_revoke"} <= set(changes)


def test_an_agreement_the_packs_always_deny_needs_force_from_the_cli(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    for step in (
        ["agency", "add", "Union City PD", "--slug", "ucpd", "--kind", "municipal",
         "--state", "CA"],
        ["agency", "add", "Federal unit", "--slug", "ice", "--kind", "federal", "--state", "DC"],
    ):
        assert runner.invoke(app, [*step, *data]).exit_code == 0
    add = ["agreement", "add", "--owner", "ucpd", "--recipient", "ice", "--action",
           "search_exact", "--purpose", "homicide", "--created-by", "chief", *data]
    refused = runner.invoke(app, add)
    assert refused.exit_code == 1
    assert "ca-civ-1798.90.55b-no-federal" in refused.output
    assert "--force" in refused.output
    forced = runner.invoke(app, [*add, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "warning" in forced.output
