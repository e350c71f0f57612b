"""Catalog fixtures: every catalog test runs on SQLite and on PostgreSQL.

SQLite gets a fresh file per test (so every test also migrates an empty database); the
PostgreSQL server gets one uniquely named database per test session, migrated once,
emptied before each test, and dropped at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url, text

from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from plateledger.tables import TARGET_METADATA

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _admin_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_catalog_url(postgres_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for this test session."""
    name = f"plateledger_catalog_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_url(postgres_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_url(postgres_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(catalog: Catalog) -> None:
    tables = [t.name for metadata in TARGET_METADATA for t in metadata.sorted_tables]
    with catalog.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO catalog_generation (id, value) VALUES (1, 0)"))


@pytest.fixture(params=ENGINES)
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    url: str = request.getfixturevalue("postgres_catalog_url")
    return url


@pytest.fixture
def settings(catalog_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", catalog_url=catalog_url, secret_key="s" * 32)


@pytest.fixture
def catalog(settings: Settings) -> Iterator[Catalog]:
    """An empty catalog on the engine under test, with cheap argon2 parameters."""
    opened = open_catalog(settings, password_hasher=FAST)
    if opened.engine.dialect.name == "postgresql":
        _empty_postgres(opened)
    try:
        yield opened
    finally:
        opened.close()
