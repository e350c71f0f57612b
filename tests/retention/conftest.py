"""Fixtures of the retention tests: the session's store with its held copies emptied,
an audit log and a hold store on one SQLite catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from plateledger.audit import AuditLog, NoteSigner
from plateledger.retention import HoldStore, create_tables
from plateledger.store import ReadStore
from plateledger.store.held import HELD_READS, ensure_held_table


@pytest.fixture
def reads(store: ReadStore) -> ReadStore:
    """The empty store, held copies included."""
    ensure_held_table(store)
    store.engine.command(f"TRUNCATE TABLE {store.db}.{HELD_READS}")
    return store


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def audit_log(catalog: Engine) -> AuditLog:
    log = AuditLog(catalog, signer=NoteSigner.generate("retention.test.example/log"))
    log.create_tables()
    return log


@pytest.fixture
def holds(catalog: Engine, audit_log: AuditLog) -> HoldStore:
    create_tables(catalog)
    return HoldStore(catalog, audit_log)
