"""An agency's reporting settings: the time zone its reports count days in (a validated
IANA name, or its state's) and whether its public page names officers; each change made at
the command line or over the API is logged with its before and after, in one transaction,
and a refused value changes nothing and logs nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from plateledger.access.admin_changes import Actor, AdminChanges
from plateledger.audit import AuditLog
from plateledger.catalog import Catalog, CatalogError, open_catalog
from plateledger.catalog.agencies import agency_timezone, check_timezone
from plateledger.cli.admin import app
from plateledger.settings import Settings

runner = CliRunner()


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus",
        "../../etc/passwd",
        "",
        "america/chicago",
        "America/Chicago ",
        "localtime",
        "A" * 65,
    ],
)
def test_a_time_zone_that_is_not_an_iana_name_is_refused(name: str) -> None:
    with pytest.raises(CatalogError):
        check_timezone(name)


def test_the_zone_is_the_agencys_own_or_its_states(catalog: Catalog) -> None:
    mpd = catalog.add_agency("Minneapolis PD", "mpd", "municipal", "MN")
    assert (mpd.timezone, agency_timezone(mpd)) == (None, "America/Chicago")
    assert mpd.portal_officer_names is False
    mpd = catalog.update_agency(mpd.id, timezone="America/Denver", portal_officer_names=True)
    assert agency_timezone(mpd) == "America/Denver" and mpd.portal_officer_names is True
    with pytest.raises(CatalogError):
        catalog.update_agency(mpd.id, timezone="Europe/Atlantis")
    with pytest.raises(CatalogError):
        catalog.update_agency(mpd.id, portal_officer_names="yes")
    kept = catalog.agency(mpd.id)
    assert kept is not None and kept.timezone == "America/Denver"
    cleared = catalog.update_agency(mpd.id, timezone=None)
    assert agency_timezone(cleared) == "America/Chicago"
    guam = catalog.add_agency("Guam PD", "gpd", "municipal", "ZZ")
    assert agency_timezone(guam) == "UTC"


def test_a_change_is_logged_with_its_before_and_after(catalog: Catalog) -> None:
    log = AuditLog(catalog.engine, signer=None)
    log.create_tables()
    mpd = catalog.add_agency("Minneapolis PD", "mpd", "municipal", "MN")
    changes = AdminChanges(catalog, log)
    size = log.size()
    changes.update_agency(
        Actor("mpd-admin", mpd.id), mpd.id, timezone="America/Chicago", portal_officer_names=True
    )
    entry = log.entry(size).entry
    assert (entry["change"], entry["object_id"], entry["user"]) == (
        "agency_settings",
        "mpd",
        "mpd-admin",
    )
    assert entry["before"] == {"portal_officer_names": False, "timezone": None}
    assert entry["after"] == {"portal_officer_names": True, "timezone": "America/Chicago"}
    with pytest.raises(CatalogError):
        changes.update_agency(Actor("mpd-admin", mpd.id), mpd.id, timezone="Nowhere/Here")
    assert log.size() == size + 1


def _cli(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--data-dir", str(tmp_path)])
    return result.exit_code, result.output


def test_the_command_sets_the_zone_and_the_officer_names(tmp_path: Path) -> None:
    assert (
        _cli(
            tmp_path,
            "agency",
            "add",
            "Minneapolis PD",
            "--slug",
            "mpd",
            "--kind",
            "municipal",
            "--state",
            "MN",
        )[0]
        == 0
    )
    code, output = _cli(
        tmp_path, "agency", "set", "mpd", "--timezone", "America/Denver", "--portal-officer-names"
    )
    assert code == 0, output
    refused = _cli(tmp_path, "agency", "set", "mpd", "--timezone", "Mars/Olympus")
    assert refused[0] != 0 and "IANA" in refused[1]
    both = _cli(tmp_path, "agency", "set", "mpd", "--timezone", "UTC", "--state-timezone")
    assert both[0] != 0
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        log = AuditLog(catalog.engine, signer=None)
        last = log.entry(log.size() - 1).entry
        assert (last["before"], last["after"]) == (
            {"portal_officer_names": False, "timezone": None},
            {"portal_officer_names": True, "timezone": "America/Denver"},
        )
        assert last["via"] == "plateledger admin"
        size = log.size()
    finally:
        catalog.close()
    code, output = _cli(
        tmp_path, "agency", "set", "mpd", "--state-timezone", "--no-portal-officer-names"
    )
    assert code == 0, output
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        log = AuditLog(catalog.engine, signer=None)
        assert log.size() == size + 1
        assert log.entry(size).entry["after"] == {"portal_officer_names": False, "timezone": None}
        agency = catalog.agency_by_slug("mpd")
        assert agency is not None and agency_timezone(agency) == "America/Chicago"
    finally:
        catalog.close()
