"""``HitService``: from stored reads to delivered alerts, through the policy gate.

For each batch of reads (after they are stored): match against the index, ask the gate
once per (list owner, read owner, category), append one ``alert_delivery`` audit entry per
allowed hit, store the hits, count the withheld ones and queue webhook rows in one
transaction, and only then hand the alerts to the live channels (SSE, MQTT). If the gate
or the audit log fails, nothing of the read leaves: no decision, or no audit entry,
means no delivery.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from plateledger.audit import AuditLog, EntryType, new_entry
from plateledger.hotlist.alert import Alert, AlertRead
from plateledger.hotlist.gate import GATE_ERROR, AlertGate, GateDecision
from plateledger.hotlist.hits import HitStore
from plateledger.hotlist.index import Hit, HotlistIndex
from plateledger.hotlist.store import HotlistStore
from plateledger.hotlist.webhook import WebhookOutbox
from plateledger.read import PlateRead

log = logging.getLogger("plateledger.hotlist")


class AlertSink(Protocol):
    """A live channel (SSE hub, MQTT publisher). ``publish`` must not block for long."""

    def publish(self, alert: Alert) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one batch produced: candidate hits, delivered, withheld by policy, and hits on
    entries withdrawn since the index was built."""

    candidates: int = 0
    delivered: int = 0
    denied: int = 0
    withdrawn: int = 0
    alerts: tuple[Alert, ...] = ()
    hit_read_ids: frozenset[str] = field(default_factory=frozenset)


def _audit_entry(
    alert: Alert, policy_ids: Sequence[str], agency: Callable[[int], str]
) -> dict[str, Any]:
    return new_entry(
        EntryType.ALERT_DELIVERY,
        hit_id=alert.hit_id,
        agency=agency(alert.list_owner_id),
        owner_agency=agency(alert.read.owner_id),
        list_id=alert.list_id,
        category=alert.category,
        match_kind=alert.match_kind,
        read_id=alert.read.read_id,
        policy_ids=list(policy_ids),
    )


class HitService:
    """Matches stored reads and delivers the hits that policy allows."""

    def __init__(
        self,
        index: HotlistIndex,
        store: HotlistStore,
        hits: HitStore,
        gate: AlertGate,
        audit: AuditLog,
        *,
        webhooks: WebhookOutbox | None = None,
        sinks: Sequence[AlertSink] = (),
        agency_name: Callable[[int], str] = str,
    ) -> None:
        self.index = index
        self.store = store
        self.hits = hits
        self.gate = gate
        self.audit = audit
        self.webhooks = webhooks
        self.sinks = list(sinks)
        self.agency_name = agency_name

    def _decide(self, list_owner: int, read_owner: int, category: str) -> GateDecision:
        try:
            decision = self.gate.decide(list_owner, read_owner, category)
        except Exception:
            log.exception("alert gate failed; withholding the hit")
            return GateDecision(False, (GATE_ERROR,))
        if not isinstance(decision, GateDecision):
            return GateDecision(False, (GATE_ERROR,))
        return decision

    def process(self, reads: Sequence[PlateRead], now: datetime | None = None) -> DeliveryReport:
        """Match ``reads`` (already stored) and deliver what policy allows."""
        moment = now or datetime.now(UTC)
        candidates = self.index.match_reads(reads, moment)
        if not candidates:
            return DeliveryReport()
        decisions: dict[tuple[int, int, str], GateDecision] = {}
        allowed: list[tuple[Hit, GateDecision]] = []
        denied: list[tuple[int, int, str, tuple[str, ...]]] = []
        for hit in candidates:
            key = (hit.list_owner_id, hit.read_owner_id, hit.category)
            if key not in decisions:
                decisions[key] = self._decide(*key)
            decision = decisions[key]
            if decision.allowed:
                allowed.append((hit, decision))
            else:
                denied.append((hit.read_owner_id, hit.list_owner_id, hit.category,
                               decision.policy_ids))  # fmt: skip
        details = self.store.entries_by_id([hit.entry_id for hit, _ in allowed])
        alerts: list[tuple[Alert, tuple[str, ...]]] = []
        withdrawn = 0
        for hit, decision in allowed:
            stored = details.get(hit.entry_id)
            if stored is None:
                withdrawn += 1  # the list was replaced or deleted after the match
                continue
            alerts.append((self._alert(hit, stored.entry.reason, stored.entry.case_number,
                                       moment), decision.policy_ids))  # fmt: skip
        if alerts:
            indices = self.audit.append_many(
                [_audit_entry(a, ids, self.agency_name) for a, ids in alerts]
            )
            alerts = [
                (a.model_copy(update={"audit_index": i}), ids)
                for (a, ids), i in zip(alerts, indices, strict=True)
            ]
        with self.hits.engine.begin() as conn:
            self.hits.insert(conn, alerts)
            self.hits.count_denials(conn, denied, moment.date().isoformat())
            if self.webhooks is not None:
                self.webhooks.enqueue(conn, [a for a, _ in alerts])
        delivered = tuple(a for a, _ in alerts)
        for alert in delivered:
            for sink in self.sinks:
                try:
                    sink.publish(alert)
                except Exception:  # a live channel failing must not undo a stored hit
                    log.exception("alert channel %s failed", type(sink).__name__)
        if self.webhooks is not None and delivered:
            self.webhooks.wake()
        return DeliveryReport(
            candidates=len(candidates),
            delivered=len(delivered),
            denied=len(denied),
            withdrawn=withdrawn,
            alerts=delivered,
            hit_read_ids=frozenset(a.read.read_id for a in delivered),
        )

    @staticmethod
    def _alert(hit: Hit, reason: str, case_number: str, moment: datetime) -> Alert:
        read = hit.read
        return Alert(
            hit_id=str(uuid.uuid4()),
            created_at=moment,
            list_id=hit.list_id,
            list_owner_id=hit.list_owner_id,
            entry_id=hit.entry_id,
            category=hit.category,
            match_kind=hit.kind.value,
            plate_listed=hit.plate_listed,
            region_listed=hit.region_listed,
            region_mismatch=hit.region_mismatch,
            priority=hit.priority,
            reason=reason,
            case_number=case_number,
            read=AlertRead(
                read_id=str(read.read_id), owner_id=read.owner_id, camera_id=read.camera_id,
                ts=read.ts, plate=read.plate, region=read.region, lat=read.lat, lon=read.lon,
            ),
        )
