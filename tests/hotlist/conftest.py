"""Fixtures of the hot-list tests: a real catalog and audit log on a SQLite file, and the
real alert gate over the real policy engine (law packs and compiled agreements)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from plateledger.audit import AuditLog, NoteSigner
from plateledger.hotlist import (
    EngineAlertGate,
    HitService,
    HitStore,
    HotlistIndex,
    HotlistStore,
    WebhookOutbox,
    create_tables,
)
from plateledger.policy import (
    AgencyFacts,
    AgencyKind,
    Agreement,
    OwnerDecision,
    PolicyEngine,
    default_packs,
    granted_actions,
)
from plateledger.policy.alert import AlertQuestion

OAKLAND, SAN_JOSE, RENO, ICE, CHP = 1, 2, 3, 4, 5
"""Agencies of the tests: two California police departments, a Nevada one, a federal one
and the California Highway Patrol."""

SLUGS = {OAKLAND: "oakland-pd", SAN_JOSE: "sjpd", RENO: "reno-pd", ICE: "ice-ero", CHP: "chp"}

AGENCIES = (
    AgencyFacts(OAKLAND, "Oakland PD", AgencyKind.MUNICIPAL, "CA", default_packs("CA")),
    AgencyFacts(SAN_JOSE, "San Jose PD", AgencyKind.MUNICIPAL, "CA", default_packs("CA")),
    AgencyFacts(RENO, "Reno PD", AgencyKind.MUNICIPAL, "NV", default_packs("NV")),
    AgencyFacts(ICE, "ICE ERO", AgencyKind.FEDERAL, "DC", default_packs("DC")),
    AgencyFacts(CHP, "California Highway Patrol", AgencyKind.STATE, "CA", default_packs("CA")),
)
SINCE = datetime(2020, 1, 1, tzinfo=UTC)


def alert_agreement(
    number: int, owner: int, recipient: int, *, case_number_required: bool = False
) -> Agreement:
    """``owner`` shares hot-list alerts on its reads with ``recipient``."""
    return Agreement(number, owner, recipient, granted_actions(["alert"]), None, None,
                     case_number_required, None, False, SINCE)  # fmt: skip


AGREEMENTS = (
    alert_agreement(1, OAKLAND, SAN_JOSE),
    alert_agreement(2, RENO, ICE),
    alert_agreement(3, OAKLAND, CHP, case_number_required=True),
)
"""Oakland shares alerts with San Jose, and with the Highway Patrol for entries with a
case number; Reno (no state pack) shares with the federal unit."""


class RecordingGate(EngineAlertGate):
    """The real gate, noting each question it was asked."""

    def __init__(self, engine: PolicyEngine) -> None:
        super().__init__(lambda: engine)
        self.policy = engine
        self.asked: list[AlertQuestion] = []

    def decide(self, question: AlertQuestion) -> OwnerDecision:
        self.asked.append(question)
        return super().decide(question)


@pytest.fixture
def policy() -> PolicyEngine:
    return PolicyEngine(AGENCIES, AGREEMENTS)


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
def gate(policy: PolicyEngine) -> RecordingGate:
    return RecordingGate(policy)


@pytest.fixture
def hits(engine: Engine) -> HitStore:
    return HitStore(engine)


@pytest.fixture
def webhooks(engine: Engine) -> Iterator[WebhookOutbox]:
    # the tests' receivers listen on loopback: a network the operator would list
    outbox = WebhookOutbox(engine, max_attempts=3, timeout=5.0, networks="127.0.0.0/8")
    yield outbox
    outbox.close()


@pytest.fixture
def service(
    index: HotlistIndex, hotlists: HotlistStore, hits: HitStore, gate: RecordingGate,
    audit: AuditLog, webhooks: WebhookOutbox,
) -> HitService:  # fmt: skip
    return HitService(index, hotlists, hits, gate, audit, webhooks=webhooks,
                      agency_name=lambda agency: SLUGS.get(agency, str(agency)))  # fmt: skip
