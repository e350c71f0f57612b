"""Fixtures of the hot-list tests: a real catalog and audit log on a SQLite file, and a
policy gate standing in for the Cedar engine at the package's outer boundary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from plateledger.audit import AuditLog, NoteSigner
from plateledger.hotlist import (
    GateDecision,
    HitService,
    HitStore,
    HotlistIndex,
    HotlistStore,
    WebhookOutbox,
    create_tables,
)

OAKLAND, SAN_JOSE, RENO, ICE = 1, 2, 3, 4
"""Agencies of the tests: two California police departments, a Nevada one, a federal one."""

HOME_STATE = {OAKLAND: "CA", SAN_JOSE: "CA", RENO: "NV", ICE: "US"}
SANCTUARY_STATES = frozenset({"CA", "IL", "WA"})


@dataclass
class StateLawGate:
    """The decision the law packs and sharing agreements would give, written out: an
    immigration list never matches California, Illinois or Washington reads (forbid), and
    an agency receives hits on another's reads only under an agreement (permit)."""

    agreements: set[tuple[int, int]] = field(default_factory=set)
    """(list owner, read owner) pairs allowed to share alerts."""
    asked: list[tuple[int, int, str]] = field(default_factory=list)
    broken: bool = False

    def decide(self, list_owner_id: int, read_owner_id: int, category: str) -> GateDecision:
        self.asked.append((list_owner_id, read_owner_id, category))
        if self.broken:
            raise RuntimeError("policy engine unavailable")
        state = HOME_STATE[read_owner_id]
        if category == "immigration_violator" and state in SANCTUARY_STATES:
            return GateDecision(False, (f"{state.lower()}.no_immigration_enforcement",))
        if list_owner_id == read_owner_id:
            return GateDecision(True, ("own_data",))
        if (list_owner_id, read_owner_id) in self.agreements:
            return GateDecision(True, (f"agreement.{list_owner_id}.{read_owner_id}",))
        return GateDecision(False, ())


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    catalog = create_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    create_tables(catalog)
    yield catalog
    catalog.dispose()


@pytest.fixture
def audit(engine: Engine, tmp_path: Path) -> AuditLog:
    log = AuditLog(engine, signer=NoteSigner.load_or_create(tmp_path / "keys", "test/hotlist"))
    log.create_tables()
    return log


@pytest.fixture
def hotlists(engine: Engine) -> HotlistStore:
    return HotlistStore(engine)


@pytest.fixture
def index(hotlists: HotlistStore) -> HotlistIndex:
    matcher = HotlistIndex()
    matcher.follow(hotlists)
    return matcher


@pytest.fixture
def gate() -> StateLawGate:
    return StateLawGate(agreements={(SAN_JOSE, OAKLAND), (ICE, RENO)})


@pytest.fixture
def hits(engine: Engine) -> HitStore:
    return HitStore(engine)


@pytest.fixture
def webhooks(engine: Engine) -> Iterator[WebhookOutbox]:
    outbox = WebhookOutbox(engine, max_attempts=3, timeout=5.0)
    yield outbox
    outbox.close()


@pytest.fixture
def service(
    index: HotlistIndex, hotlists: HotlistStore, hits: HitStore, gate: StateLawGate,
    audit: AuditLog, webhooks: WebhookOutbox,
) -> HitService:  # fmt: skip
    return HitService(index, hotlists, hits, gate, audit, webhooks=webhooks)
