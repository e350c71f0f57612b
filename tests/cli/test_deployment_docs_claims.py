"""Claims of docs/deployment.md, docs/postgresql.md and README.md (the demo) that no
other test held, each against the real command, settings, catalog or store: the sentence
is quoted in the test's docstring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, make_url, text
from typer.testing import CliRunner

from plateledger.catalog import open_catalog
from plateledger.catalog.schema import SCRIPTS, upgrade
from plateledger.cli.main import app
from plateledger.settings import Settings
from plateledger.sim import default_plan
from tests.conftest import _free_port, _wait_ready

SECRET = "x" * 43


@pytest.fixture(autouse=True)
def _no_plateledger_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets the variables it is about, and only those."""
    for name in list(os.environ):
        if name.startswith("PLATELEDGER_") and name != "PLATELEDGER_TEST_POSTGRES":
            monkeypatch.delenv(name)


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.output


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"plateledger_deploy_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_plain(postgres_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_plain(postgres_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _revision(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())
    finally:
        engine.dispose()


HEAD = sorted(p.stem for p in (SCRIPTS / "versions").glob("0*.py"))[-1]
"""The last revision that ships inside the package."""


# docs/deployment.md, Settings


def test_every_setting_has_the_default_the_table_gives() -> None:
    """deployment.md, Settings: the "default" column, row by row."""
    s = Settings()
    data = Path("data")
    assert s.environment == "development"
    assert s.data_dir == data
    assert s.store_url is None and s.store_dir == data / "store"
    assert s.catalog_url is None
    assert s.catalog_database_url == f"sqlite:///{(data / 'catalog.sqlite').resolve()}"
    assert s.images_url is None and s.images_dir == data / "images"
    assert s.audit_origin == "plateledger.local/audit"
    assert s.require_totp is True
    assert (s.ingest_batch_reads, s.ingest_batch_seconds) == (1_000, 0.2)
    assert s.max_body_bytes == 16 * 1024 * 1024
    assert s.purge_every_minutes == 15
    assert s.reports_schedule is True and s.reports_folder == data / "reports"
    assert (s.reports_every_minutes, s.reports_first_minutes) == (60, 1)
    assert s.transparency_cache_seconds == 30
    assert s.partitioning == "month"
    assert s.recognizer_engine == "rapidocr"
    assert (s.host, s.port) == ("127.0.0.1", 8080)
    assert s.public_url is None and s.node_url == "http://127.0.0.1:8080"
    assert (s.alarm_window_seconds, s.alarm_denials, s.throttle_denials,
            s.node_throttle_denials) == (60, 10, 20, 100)
    assert s.federation_timeout_seconds == 3
    assert s.witness_every_minutes == 5
    assert s.hotlist_max_entries == 5_000_000
    assert s.webhook_networks == ""
    assert s.pmtiles_path is None


@pytest.mark.parametrize(("variable", "value", "field", "expected"), [
    ("DATA_DIR", "/srv/pl", "data_dir", Path("/srv/pl")),
    ("STORE_URL", "clickhouse://u:p@ch:8123/db", "store_url", "clickhouse://u:p@ch:8123/db"),
    ("STORE_PATH", "/srv/store", "store_dir", Path("/srv/store")),
    ("CATALOG_URL", "postgresql+psycopg://pl@db/pl", "catalog_database_url",
     "postgresql+psycopg://pl@db/pl"),
    ("IMAGES_URL", "s3://b/p?region=us-east-1", "images_url", "s3://b/p?region=us-east-1"),
    ("AUDIT_ORIGIN", "alpr.example-city.gov/audit", "audit_origin",
     "alpr.example-city.gov/audit"),
    ("REQUIRE_TOTP", "false", "require_totp", False),
    ("TOKEN_TTL_MINUTES", "60", "token_ttl_minutes", 60),
    ("INGEST_BATCH_READS", "50", "ingest_batch_reads", 50),
    ("INGEST_BATCH_SECONDS", "0.5", "ingest_batch_seconds", 0.5),
    ("MAX_BODY_BYTES", "2048", "max_body_bytes", 2048),
    ("PURGE_EVERY_MINUTES", "5", "purge_every_minutes", 5),
    ("REPORTS_SCHEDULE", "false", "reports_schedule", False),
    ("REPORTS_DIR", "/srv/reports", "reports_folder", Path("/srv/reports")),
    ("REPORTS_EVERY_MINUTES", "30", "reports_every_minutes", 30),
    ("REPORTS_FIRST_MINUTES", "0", "reports_first_minutes", 0),
    ("TRANSPARENCY_CACHE_SECONDS", "0", "transparency_cache_seconds", 0),
    ("PARTITIONING", "week", "partitioning", "week"),
    ("RECOGNIZER_ENGINE", "other", "recognizer_engine", "other"),
    ("HOST", "0.0.0.0", "host", "0.0.0.0"),
    ("PORT", "9090", "node_url", "http://127.0.0.1:9090"),
    ("PUBLIC_URL", "https://alpr.example:8443", "node_url", "https://alpr.example:8443"),
    ("ALARM_WINDOW_SECONDS", "120", "alarm_window_seconds", 120),
    ("ALARM_DENIALS", "3", "alarm_denials", 3),
    ("THROTTLE_DENIALS", "4", "throttle_denials", 4),
    ("NODE_THROTTLE_DENIALS", "5", "node_throttle_denials", 5),
    ("FEDERATION_TIMEOUT_SECONDS", "7", "federation_timeout_seconds", 7),
    ("WITNESS_EVERY_MINUTES", "9", "witness_every_minutes", 9),
    ("HOTLIST_MAX_ENTRIES", "10", "hotlist_max_entries", 10),
    ("WEBHOOK_NETWORKS", "10.20.0.0/16", "webhook_networks", "10.20.0.0/16"),
    ("PMTILES_PATH", "/srv/basemap.pmtiles", "pmtiles_path", Path("/srv/basemap.pmtiles")),
])
def test_every_setting_is_read_from_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object,
) -> None:
    """deployment.md, Settings: "Every setting is an environment variable
    `PLATELEDGER_<NAME>`"."""
    monkeypatch.setenv(f"PLATELEDGER_{variable}", value)
    assert getattr(Settings(), field) == expected


def test_production_refuses_to_start_with_the_development_secret(tmp_path: Path) -> None:
    """deployment.md, Settings: "`production` refuses to start with the development
    secret" — `plateledger serve` stops with the message before anything is created."""
    code, output = invoke("serve", "--data-dir", str(tmp_path),
                          env={"PLATELEDGER_ENVIRONMENT": "production"})
    assert code == 2, output
    assert "set PLATELEDGER_SECRET_KEY" in output and "Traceback" not in output
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValidationError, match="default secret is for development"):
        Settings(environment="production")
    assert Settings(environment="production", secret_key=SECRET).environment == "production"


# docs/deployment.md, One server / Upgrades; docs/postgresql.md, URL


@pytest.mark.postgres
def test_a_server_on_postgresql_migrates_the_catalog_and_creates_its_store_at_start(
    tmp_path: Path, postgres_database: str,
) -> None:
    """postgresql.md: "`plateledger serve` reads the same variable"; deployment.md: "The
    catalog's schema is migrated (Alembic) when the server starts; the read store's tables
    are created if missing", "plain HTTP on `127.0.0.1` by default", and
    `PLATELEDGER_AUDIT_ORIGIN` is "the log's name in its signed checkpoints", whose key is
    `keys/audit-log.key`."""
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {**os.environ, "PLATELEDGER_CATALOG_URL": postgres_database,
           "PLATELEDGER_PORT": str(port), "PLATELEDGER_SECRET_KEY": SECRET,
           "PLATELEDGER_ENVIRONMENT": "production",
           "PLATELEDGER_AUDIT_ORIGIN": "alpr.example-city.gov/audit"}
    with (tmp_path / "server.log").open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "plateledger.cli.main", "serve", "--data-dir",
             str(data_dir)], stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
        assert _revision(postgres_database) == HEAD
        assert not (data_dir / "catalog.sqlite").exists()
        assert (data_dir / "store").is_dir()
        assert (data_dir / "keys" / "audit-log.key").is_file()
        code, output = invoke("audit", "checkpoint", "--url", f"http://127.0.0.1:{port}")
        assert code == 0, output
        assert output.startswith("alpr.example-city.gov/audit\n"), output
    finally:
        server.terminate()
        server.wait(timeout=60)


@pytest.mark.postgres
@pytest.mark.parametrize("via", ["environment", "option"])
def test_admin_init_puts_the_catalog_on_postgresql(
    tmp_path: Path, postgres_database: str, via: str,
) -> None:
    """postgresql.md, URL: "`plateledger admin init  # or: --catalog
    postgresql+psycopg://…`" with `PLATELEDGER_CATALOG_URL` exported."""
    if via == "environment":
        code, output = invoke("admin", "init", "--data-dir", str(tmp_path / "d"),
                              env={"PLATELEDGER_CATALOG_URL": postgres_database})
    else:
        code, output = invoke("admin", "init", "--data-dir", str(tmp_path / "d"),
                              "--catalog", postgres_database)
    assert code == 0, output
    assert "catalog ready" in output
    assert _revision(postgres_database) == HEAD
    assert not (tmp_path / "d").exists()  # nothing of the catalog went to SQLite


# docs/postgresql.md, SQLite and migrations


def test_the_default_catalog_is_sqlite_in_wal_mode_with_a_30_second_busy_timeout(
    tmp_path: Path,
) -> None:
    """postgresql.md: "By default the catalog is a SQLite file, `<data-dir>/catalog.sqlite`,
    in WAL mode with a 30-second busy timeout"."""
    catalog = open_catalog(Settings(data_dir=tmp_path))
    try:
        assert catalog.engine.url.database == str((tmp_path / "catalog.sqlite").resolve())
        with catalog.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    finally:
        catalog.close()


REVISIONS = {
    "0001_catalog": ["agencies", "users", "cameras", "api_keys", "tokens", "agreements",
                     "declarations", "catalog_generation"],
    "0002_audit_log": ["audit_entries", "audit_nodes", "audit_head"],
    "0003_legal_holds": ["legal_holds"],
    "0004_hotlists": ["hotlists", "hotlist_entries", "hotlist_hits", "hotlist_denials",
                      "webhook_subscriptions", "webhook_outbox"],
    "0005_roles_and_settings": ["users.acting_for_agency_id", "declarations.revoked_at"],
    "0006_hotlist_screening": ["hotlists.description", "hotlist_entries.category"],
    "0007_access_throttle": ["login_throttle"],
}


def test_each_revision_adds_the_tables_and_columns_the_table_names(tmp_path: Path) -> None:
    """postgresql.md, Migrations: the revision table, and "0006 … drops `hotlist_denials`"."""
    engine = create_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        for revision, names in REVISIONS.items():
            upgrade(engine, revision)
            schema = inspect(engine)
            tables = set(schema.get_table_names())
            for name in names:
                table, _, column = name.partition(".")
                if column:
                    assert column in {c["name"] for c in schema.get_columns(table)}, name
                elif revision == "0004_hotlists" or name != "hotlist_denials":
                    assert table in tables, (revision, name)
            assert ("hotlist_denials" in tables) == (revision in ("0004_hotlists",
                                                                 "0005_roles_and_settings"))
    finally:
        engine.dispose()


def test_any_admin_command_upgrades_an_old_catalog_first(tmp_path: Path) -> None:
    """postgresql.md: "`open_catalog` — called by `serve`, `admin init` and every `admin`
    command — runs `alembic upgrade head` before anything else, so an upgrade of the package
    upgrades the schema on first start"."""
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    engine = create_engine(url)
    upgrade(engine, "0007_access_throttle")
    engine.dispose()
    code, output = invoke("admin", "agency", "list", "--data-dir", str(tmp_path))
    assert code == 0, output
    assert _revision(url) == HEAD


# docs/deployment.md, First start


def _first_start(data_dir: Path) -> list[tuple[int, str]]:
    d = str(data_dir)
    env = {"PLATELEDGER_ENVIRONMENT": "production", "PLATELEDGER_SECRET_KEY": SECRET,
           "PLATELEDGER_AUDIT_ORIGIN": "alpr.example-city.gov/audit"}
    return [
        invoke("admin", "agency", "add", "Union City PD", "--slug", "ucpd", "--kind",
               "municipal", "--state", "CA", "--data-dir", d, env=env),
        invoke("admin", "user", "add", "j.rivera", "--agency", "ucpd", "--role", "admin",
               "--password", "a long passphrase of the admin", "--data-dir", d, env=env),
        invoke("audit", "key", "--data-dir", d, env=env),
    ]


def test_the_first_start_adds_the_agency_and_its_admin(tmp_path: Path) -> None:
    """deployment.md, First start: `plateledger admin agency add "Union City PD" --slug
    ucpd --kind municipal --state CA` and `plateledger admin user add j.rivera --agency ucpd
    --role admin --password '…'`, as written, on a new data directory."""
    agency, user, _ = _first_start(tmp_path)
    assert agency[0] == 0 and "`ucpd` added" in agency[1], agency
    assert user[0] == 0 and "`j.rivera` added" in user[1], user


def test_the_first_start_prints_the_verifier_key_to_publish(tmp_path: Path) -> None:
    """deployment.md, First start: "`plateledger audit key --data-dir $D     # publish this
    verifier key`", run after the two admin commands, before `serve`."""
    *_, key = _first_start(tmp_path)
    assert key[0] == 0, key
    assert key[1].startswith("alpr.example-city.gov/audit+"), key
    # kept: asked again (or by the server at its first start), the same key
    assert invoke("audit", "key", "--data-dir", str(tmp_path)) == key
    # a data directory that does not exist gets no key made in it
    missing = tmp_path / "typo"
    code, output = invoke("audit", "key", "--data-dir", str(missing))
    assert code == 1 and "no audit log key" in output and not missing.exists()


# README.md, Two commands


def test_the_demo_prints_its_url_logins_camera_key_and_the_planted_case(
    tmp_path: Path,
) -> None:
    """README.md: `make demo` "prints the URL, the demo logins … and a camera API key", and
    of the planted case "it prints the plate, the places and the window" (`/workspace`)."""
    code, output = invoke("demo", "--data-dir", str(tmp_path), "--reads", "2000",
                          "--days", "1", "--no-serve")
    assert code == 0, output
    accounts = json.loads((tmp_path / "demo-accounts.json").read_text())
    case = json.loads((tmp_path / "demo-case.json").read_text())
    flat = " ".join(output.split())
    assert "http://127.0.0.1:8080" in flat
    assert "ucpd.investigator" in flat and "ucpd.auditor" in flat
    assert "plateledger-demo" in flat and "demo-code USERNAME" in flat
    assert accounts["camera_key"] in flat
    assert "http://127.0.0.1:8080/workspace" in flat and case["stolen"] in flat
    assert str(case["since"])[:16] in flat and str(case["until"])[:16] in flat
    assert len(case["places"]) == 3
    assert all(p["camera_id"] in flat for p in case["places"])


def test_the_demo_city_is_the_agencies_the_readme_names_over_a_million_reads_two_weeks(
) -> None:
    """README.md: "`make demo` simulates a small city (≥ 1 M reads over two weeks: Union
    City, Fremont and Hayward police, the Alameda County Sheriff, the Highway Patrol, Reno
    PD, and a federal immigration unit)"."""
    names = " ".join(a.name for a in default_plan().agencies)
    for name in ("Union City", "Fremont", "Hayward", "Alameda County Sheriff",
                 "Highway Patrol", "Reno"):
        assert name in names, names
    assert any(a.slug == "ice-ero-sf" for a in default_plan().agencies)
    code, output = invoke("demo", "--help")
    assert code == 0
    flat = " ".join(output.split())
    assert "1000000" in flat and "14.0" in flat, flat
