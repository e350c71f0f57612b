"""``HitService``: from stored reads to delivered alerts, through the policy gate.

For each batch of reads (after they are stored): match against the index; for each
candidate, ask the gate about its entry (`AlertQuestion`: the list's declared category,
the entry's screened class, its case number and screened words), once per distinct
question; in one all-or-nothing write, append one ``alert_delivery`` audit entry per
allowed hit and hold one ``alert_withheld`` entry per withheld hit for the end of its
period (`plateledger.hotlist.withheld`: the log then tells how many hits a period
withheld, never when one happened); then store the delivered
hits and queue webhook rows in one transaction, and only then hand the alerts to the live
channels (SSE, MQTT). If the gate fails the hit is withheld; if the audit log fails,
``process`` raises and nothing is delivered: no decision, or no audit entry, means no
delivery.

An ``alert_withheld`` entry holds exactly ``read_owner`` and ``list_owner`` (agency
slugs), ``list_class`` (the screened class), ``policy_ids`` and a random ``hit_id``: no
plate, no read, no time of the read, no list or entry (a shared list's also names
``list_node`` and ``remote_list_id``).

A one-edit candidate on a read of another owner than the list's is not a hit
(`owners_hit`): only exact and confusable matches cross between agencies, so that a list
of made-up plates one character from every plate of a series cannot draw another agency's
reads as alerts. It is asked of no gate, stores nothing and writes no audit entry (nothing
of the read goes anywhere); the report counts it (``near_misses``).

A list a partner node shared with this one (``shared``, see
`plateledger.access.shared_hotlists`) is matched and decided as a local list of its
remote agency; both entries of its hits also name ``list_node`` and ``remote_list_id``,
and an allowed hit is not stored or published here but queued for the list owner's node
in the same transaction (``shared.enqueue``). A hit on a list of a node whose key was
revoked is dropped (counted withdrawn).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection

from plateledger.audit import AuditLog, EntryType, new_entry
from plateledger.hotlist.alert import Alert, AlertRead
from plateledger.hotlist.gate import AlertGate, gate_error
from plateledger.hotlist.hits import HitStore
from plateledger.hotlist.index import Hit, HotlistIndex, MatchKind
from plateledger.hotlist.screening import entry_question
from plateledger.hotlist.store import HotlistStore
from plateledger.hotlist.webhook import WebhookOutbox
from plateledger.hotlist.withheld import DEFAULT_PERIOD
from plateledger.policy import OwnerDecision
from plateledger.policy.alert import AlertQuestion
from plateledger.read import PlateRead

log = logging.getLogger("plateledger.hotlist")


class AlertSink(Protocol):
    """A live channel (SSE hub, MQTT publisher). ``publish`` must not block for long."""

    def publish(self, alert: Alert) -> None: ...


class SharedHits(Protocol):
    """The lists partner nodes shared with this node, and their hits' way out."""

    def lists(self, list_ids: Collection[int]) -> Mapping[int, Mapping[str, Any] | None]:
        """Of ``list_ids``, the shared ones: the fields their hits' entries add, or
        ``None`` for a list of a node no longer trusted (its hits are dropped)."""
        ...

    def enqueue(self, conn: Connection, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> None:
        """Queue allowed hits (with the policy ids that allowed them) for their list
        owner's node, in ``conn``'s transaction."""
        ...

    def wake(self) -> None:
        """Deliver what was queued, soon."""
        ...


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one batch produced: candidate hits (one-edit matches on other owners' reads
    aside: ``near_misses``), delivered, withheld by policy, and hits on entries withdrawn
    since the index was built."""

    candidates: int = 0
    delivered: int = 0
    denied: int = 0
    withdrawn: int = 0
    near_misses: int = 0
    """One-edit candidates on reads of another owner than the list's: not hits, left
    out before the gate (`owners_hit`)."""
    alerts: tuple[Alert, ...] = ()
    hit_read_ids: frozenset[str] = field(default_factory=frozenset)
    withheld_entries: tuple[Mapping[str, Any], ...] = ()
    """The ``alert_withheld`` entries this batch held, in order."""
    withheld_until: datetime | None = None
    """When they are appended to the audit log (`AuditLog.release_held`)."""


ALERT_WITHHELD = "alert_withheld"
"""Audit entry type of a hit that policy kept from a list's owner."""


def _audit_entry(
    alert: Alert, question: AlertQuestion, policy_ids: Sequence[str],
    agency: Callable[[int], str], shared: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    return new_entry(
        EntryType.ALERT_DELIVERY,
        hit_id=alert.hit_id,
        agency=agency(alert.list_owner_id),
        owner_agency=agency(alert.read.owner_id),
        list_id=alert.list_id,
        category=alert.category,
        list_class=question.screened_class,
        match_kind=alert.match_kind,
        read_id=alert.read.read_id,
        policy_ids=list(policy_ids),
        **(shared or {}),
    )


def _withheld_entry(
    question: AlertQuestion, policy_ids: Sequence[str], agency: Callable[[int], str],
    shared: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    return new_entry(
        ALERT_WITHHELD,
        read_owner=agency(question.read_owner_id),
        list_owner=agency(question.list_owner_id),
        list_class=question.screened_class,
        policy_ids=list(policy_ids),
        # random: without it, a list's owner could tell its own entries among the public
        # leaf hashes by hashing each guess of the fields its summary leaves out
        hit_id=str(uuid.uuid4()),
        **({} if shared is None else shared),
    )


def owners_hit(hit: Hit) -> bool:
    """Whether a candidate is a hit at all: an exact or confusable match, or a one-edit
    match on a read of the list's own owner (a lead on its own camera's misread). One edit
    from a listed plate is a chance neighbour of most plates once a list is large; on
    another agency's reads it would make any list a feed of that agency's reads."""
    return hit.kind != MatchKind.ONE_EDIT or hit.read_owner_id == hit.list_owner_id


def _evidence(read: PlateRead) -> tuple[object, ...]:
    """What makes a read the same read: its id, owner, camera, moment and plate."""
    return (read.read_id, read.owner_id, read.camera_id, read.ts, read.plate)


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
        shared: SharedHits | None = None,
        withheld_period: timedelta = DEFAULT_PERIOD,
    ) -> None:
        self.index = index
        self.store = store
        self.hits = hits
        self.gate = gate
        self.audit = audit
        self.webhooks = webhooks
        self.sinks = list(sinks)
        self.agency_name = agency_name
        self.shared = shared
        self.withheld_period = withheld_period

    def _decide(self, question: AlertQuestion) -> OwnerDecision:
        try:
            decision = self.gate.decide(question)
        except Exception:
            log.exception("alert gate failed; withholding the hit")
            return gate_error(question)
        if not isinstance(decision, OwnerDecision):
            return gate_error(question)
        return decision

    def _judge(
        self, candidates: Sequence[Hit]
    ) -> tuple[list[tuple[Hit, Any, AlertQuestion, OwnerDecision]], int]:
        """Each candidate hit whose list entry still exists, with that entry, the question
        asked about it and the gate's decision (asked once per distinct question); and how
        many candidates were withdrawn (their list replaced or deleted after the match)."""
        details = self.store.entries_by_id([hit.entry_id for hit in candidates])
        lists = self.store.lists_by_id([hit.list_id for hit in candidates])
        decisions: dict[tuple[object, ...], OwnerDecision] = {}
        judged: list[tuple[Hit, Any, AlertQuestion, OwnerDecision]] = []
        withdrawn = 0
        for hit in candidates:
            stored = details.get(hit.entry_id)
            hotlist = lists.get(hit.list_id)
            if stored is None or hotlist is None or stored.list_id != hit.list_id:
                withdrawn += 1
                continue
            entry = stored.entry
            question = entry_question(
                hit.list_owner_id, hit.read_owner_id, list_category=hotlist.category,
                entry_category=entry.category, list_words=hotlist.words,
                reason=entry.reason, case_number=entry.case_number,
                list_file_type=hotlist.file_type, entry_file_type=entry.file_type,
            )  # fmt: skip
            if question.key not in decisions:
                decisions[question.key] = self._decide(question)
            judged.append((hit, entry, question, decisions[question.key]))
        return judged, withdrawn

    def match(self, reads: Sequence[PlateRead], now: datetime | None = None) -> list[Hit]:
        """Every candidate hit of ``reads`` on the entries active at ``now`` (policy not
        asked): what `deliverable_read_ids` and `process` take, so that a batch is matched
        once — at arrival, for its retention — and its stored reads' hits are delivered
        from that one match."""
        return self.index.match_reads(reads, now or datetime.now(UTC))

    def deliverable_read_ids(
        self, reads: Sequence[PlateRead], now: datetime | None = None,
        matched: Sequence[Hit] | None = None,
    ) -> frozenset[uuid.UUID]:
        """The reads among ``reads`` that would raise a hit policy lets its list's owner
        receive, by an exact or confusable match (one-edit candidates are too many to
        extend every matching read's life). Retention keeps these as hits: a list whose
        owner may not receive a read's hits must not lengthen that read's life either, nor
        may a list of a partner node whose key was revoked (its hits are dropped).
        ``matched``: the hits `match` found for ``reads``, if already matched."""
        moment = now or datetime.now(UTC)
        found = self.index.match_reads(reads, moment) if matched is None else matched
        candidates = [h for h in found if h.kind != MatchKind.ONE_EDIT]
        if not candidates:
            return frozenset()
        judged, _ = self._judge(candidates)
        shared = ({} if self.shared is None
                  else self.shared.lists({hit.list_id for hit, _, _, _ in judged}))  # fmt: skip
        return frozenset(hit.read.read_id for hit, _, _, d in judged
                         if d.allowed and not (hit.list_id in shared
                                               and shared[hit.list_id] is None))  # fmt: skip

    def process(
        self, reads: Sequence[PlateRead], now: datetime | None = None,
        matched: Sequence[Hit] | None = None,
    ) -> DeliveryReport:
        """Match ``reads`` (already stored) and deliver what policy allows. Raises what the
        audit log raised when it cannot be written: then nothing was delivered.

        ``matched``: the hits `match` found when the reads arrived, of which those of
        ``reads`` are delivered, with the read as stored (its retention decided since)."""
        moment = now or datetime.now(UTC)
        if matched is None:
            candidates = self.index.match_reads(reads, moment)
        else:
            # by id and content: a read refused for claiming a stored read's id with other
            # content must not lend its hits to the read stored under that id
            stored = {_evidence(read): read for read in reads}
            candidates = [replace(hit, read=stored[_evidence(hit.read)]) for hit in matched
                          if _evidence(hit.read) in stored]
        found = len(candidates)
        candidates = [hit for hit in candidates if owners_hit(hit)]
        near_misses = found - len(candidates)
        if near_misses:
            log.debug("%d one-edit candidates on other owners' reads left out", near_misses)
        if not candidates:
            return DeliveryReport(near_misses=near_misses)
        judged, withdrawn = self._judge(candidates)
        shared = ({} if self.shared is None
                  else self.shared.lists({hit.list_id for hit, _, _, _ in judged}))  # fmt: skip
        alerts: list[tuple[Alert, AlertQuestion, tuple[str, ...]]] = []
        withheld: list[tuple[AlertQuestion, tuple[str, ...], Mapping[str, Any] | None]] = []
        for hit, entry, question, decision in judged:
            if hit.list_id in shared and shared[hit.list_id] is None:
                withdrawn += 1  # a list of a node whose key was revoked
                continue
            if decision.allowed:
                alert = self._alert(hit, question.category, entry.reason, entry.case_number,
                                    moment)  # fmt: skip
                alerts.append((alert, question, decision.policy_ids))
            else:
                withheld.append((question, decision.policy_ids, shared.get(hit.list_id)))
        entries = [_audit_entry(a, q, ids, self.agency_name, shared.get(a.list_id))
                   for a, q, ids in alerts]  # fmt: skip
        held = tuple(_withheld_entry(q, ids, self.agency_name, s) for q, ids, s in withheld)
        until: datetime | None = None
        if held:  # published at the end of the period (wall-clock time)
            indices, until = self.audit.append_and_hold(entries, held, self.withheld_period)
        else:
            indices = self.audit.append_many(entries)
        delivered = tuple(
            a.model_copy(update={"audit_index": i})
            for (a, _, _), i in zip(alerts, indices, strict=False)
        )
        paired = [(a, ids) for a, (_, _, ids) in zip(delivered, alerts, strict=True)]
        local = [(a, ids) for a, ids in paired if a.list_id not in shared]
        remote = [(a, ids) for a, ids in paired if a.list_id in shared]
        if delivered:
            with self.hits.engine.begin() as conn:
                self.hits.insert(conn, local)
                if self.webhooks is not None:
                    self.webhooks.enqueue(conn, [a for a, _ in local])
                if remote and self.shared is not None:
                    self.shared.enqueue(conn, remote)
        if remote and self.shared is not None:
            self.shared.wake()
        for alert, _ in local:
            for sink in self.sinks:
                try:
                    sink.publish(alert)
                except Exception:  # a live channel failing must not undo a stored hit
                    log.exception("alert channel %s failed", type(sink).__name__)
        if self.webhooks is not None and local:
            self.webhooks.wake()
        return DeliveryReport(
            candidates=len(candidates),
            delivered=len(delivered),
            denied=len(withheld),
            withdrawn=withdrawn,
            near_misses=near_misses,
            alerts=delivered,
            hit_read_ids=frozenset(a.read.read_id for a in delivered),
            withheld_entries=held,
            withheld_until=until,
        )

    @staticmethod
    def _alert(
        hit: Hit, category: str, reason: str, case_number: str, moment: datetime
    ) -> Alert:
        read = hit.read
        return Alert(
            hit_id=str(uuid.uuid4()),
            created_at=moment,
            list_id=hit.list_id,
            list_owner_id=hit.list_owner_id,
            entry_id=hit.entry_id,
            category=category,
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
