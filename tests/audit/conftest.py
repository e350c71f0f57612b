"""Fixtures of the audit log tests: real logs on SQLite files and on PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from plateledger.audit import AuditLog, NoteSigner

ORIGIN = "audit.test.example/city"
OTHER = "other.example/log"
"""Another log's origin: the log a witness here witnesses (`other_log`)."""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def signer(data_dir: Path) -> NoteSigner:
    return NoteSigner.load_or_create(data_dir, ORIGIN)


@pytest.fixture
def sqlite_engine(data_dir: Path) -> Iterator[Engine]:
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def log(sqlite_engine: Engine, signer: NoteSigner) -> AuditLog:
    audit_log = AuditLog(sqlite_engine, signer=signer)
    audit_log.create_tables()
    return audit_log


def search(n: int, **extra: Any) -> dict[str, Any]:
    """A realistic search entry, numbered ``n``."""
    return {
        "type": "search",
        "v": 1,
        "user": f"officer{n}",
        "agency": "ca-oakland-pd",
        "requested_by_agency": "ca-oakland-pd",
        "purpose": "stolen_vehicle",
        "case_number": f"24-{n:06d}",
        "query": {"plate": f"7ABC{n:03d}"},
        "owners_allowed": ["ca-oakland-pd", "ca-berkeley-pd"],
        "owners_denied": [{"agency": "wa-seattle-pd", "policy_ids": ["wa.no_out_of_state"]}],
        "result_count": n % 7,
        **extra,
    }


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine whose search path is a fresh schema, dropped afterwards."""
    schema = f"audit_test_{secrets.token_hex(4)}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(postgres_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def other_log(tmp_path: Path) -> Iterator[AuditLog]:
    """Another node's log (origin `OTHER`, its own key), for witnessing tests."""
    engine: Engine = create_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    other = AuditLog(engine, signer=NoteSigner.generate(OTHER))
    other.create_tables()
    yield other
    engine.dispose()
