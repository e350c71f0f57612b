"""``HitStore``: delivered hits, their dispositions and retention. (A hit that policy
withheld is not stored: it is an ``alert_withheld`` audit entry, see ``service``.)

A store with an audit log writes every disposition in one transaction with its
``hit_disposition`` change entry (`plateledger.audit.changes`; ``object`` ``hit``, the
disposition, action and note before and after): no entry, no disposition."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update

from plateledger.audit.changes import change_entry, log_change, who
from plateledger.audit.log import AuditLog
from plateledger.hotlist.alert import Alert, AlertRead, HitRecord
from plateledger.hotlist.disposition import (
    STOP_ACTIONS,
    Disposition,
    DispositionStats,
    HitAction,
    check_disposition,
)
from plateledger.hotlist.entry import from_millis, to_millis
from plateledger.hotlist.errors import UnknownHit
from plateledger.hotlist.schema import hotlist_hits

HIT_DISPOSITION = "hit_disposition"
DEFAULT_HIT_RETENTION = timedelta(days=365)
"""How long a hit is kept unless the agency's retention policy says otherwise."""


def _alert_values(alert: Alert, policy_ids: Sequence[str], expires_at: datetime) -> dict[str, Any]:
    read = alert.read
    return {
        "hit_id": alert.hit_id, "read_id": read.read_id, "read_owner_id": read.owner_id,
        "read_ts": to_millis(read.ts), "camera_id": read.camera_id, "lat": read.lat,
        "lon": read.lon, "list_id": alert.list_id, "list_owner_id": alert.list_owner_id,
        "entry_id": alert.entry_id, "category": alert.category, "match_kind": alert.match_kind,
        "plate_read": read.plate, "plate_listed": alert.plate_listed,
        "region_read": read.region, "region_listed": alert.region_listed,
        "region_mismatch": alert.region_mismatch, "priority": alert.priority,
        "reason": alert.reason, "case_number": alert.case_number,
        "policy_ids": ",".join(policy_ids), "audit_index": alert.audit_index,
        "created_at": to_millis(alert.created_at), "expires_at": to_millis(expires_at),
    }  # fmt: skip


def _record(r: Row[Any]) -> HitRecord:
    return HitRecord(
        hit_id=r.hit_id, created_at=from_millis(r.created_at), list_id=r.list_id,
        list_owner_id=r.list_owner_id, entry_id=r.entry_id, category=r.category,
        match_kind=r.match_kind, plate_listed=r.plate_listed, region_listed=r.region_listed,
        region_mismatch=r.region_mismatch, priority=r.priority, reason=r.reason,
        case_number=r.case_number, audit_index=r.audit_index,
        read=AlertRead(
            read_id=r.read_id, owner_id=r.read_owner_id, camera_id=r.camera_id,
            ts=from_millis(r.read_ts), plate=r.plate_read, region=r.region_read,
            lat=r.lat, lon=r.lon,
        ),
        disposition=r.disposition, action=r.action, disposed_by=r.disposed_by,
        disposed_at=None if r.disposed_at is None else from_millis(r.disposed_at),
        disposition_note=r.disposition_note, expires_at=from_millis(r.expires_at),
    )  # fmt: skip


class HitStore:
    """Hits over ``engine`` (the catalog database). A hit past ``retention`` is never
    returned, even before ``purge_expired`` deletes it."""

    def __init__(
        self, engine: Engine, *, retention: timedelta = DEFAULT_HIT_RETENTION,
        audit_log: AuditLog | None = None, agency_name: Callable[[int], str] = str,
        read_clock: Callable[[int], timedelta | None] | None = None,
    ) -> None:
        self._engine = engine
        self.retention = retention
        self._audit_log = audit_log
        self._agency_name = agency_name
        self.read_clock = read_clock
        """The clock of a read owner's hits (by owner id; None where unknown): a hit row
        copies its read's plate, time and place, and is kept no longer than the read."""

    def expires(self, alert: Alert) -> datetime:
        """When ``alert``'s row stops being listed: after the hit retention from its
        delivery, and never after its read's own clock for hits has run out."""
        expires = alert.created_at + self.retention
        clock = None if self.read_clock is None else self.read_clock(alert.read.owner_id)
        if clock is not None:
            expires = min(expires, alert.read.ts.astimezone(UTC) + clock)
        return expires

    @property
    def engine(self) -> Engine:
        return self._engine

    def insert(
        self, conn: Connection, alerts: Sequence[tuple[Alert, Sequence[str]]]
    ) -> None:
        """Store delivered hits (each with the policy ids that allowed it) in ``conn``'s
        transaction."""
        if alerts:
            conn.execute(
                insert(hotlist_hits),
                [_alert_values(a, ids, self.expires(a)) for a, ids in alerts],
            )

    def get(self, hit_id: str, owner_id: int, now: datetime | None = None) -> HitRecord:
        """The hit ``hit_id`` delivered to ``owner_id``, or ``UnknownHit``."""
        stamp = to_millis(now or datetime.now(UTC))
        query = select(hotlist_hits).where(
            hotlist_hits.c.hit_id == hit_id,
            hotlist_hits.c.list_owner_id == owner_id,
            hotlist_hits.c.expires_at > stamp,
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise UnknownHit(f"no hit `{hit_id}`")
        return _record(row)

    def list_hits(
        self,
        owner_id: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        pending_only: bool = False,
        limit: int = 100,
        offset: int = 0,
        now: datetime | None = None,
    ) -> list[HitRecord]:
        """Hits delivered to ``owner_id``, newest first."""
        h = hotlist_hits.c
        query = select(hotlist_hits).where(
            h.list_owner_id == owner_id, h.expires_at > to_millis(now or datetime.now(UTC))
        )
        if since is not None:
            query = query.where(h.created_at >= to_millis(since))
        if until is not None:
            query = query.where(h.created_at < to_millis(until))
        if pending_only:
            query = query.where(h.disposition.is_(None))
        query = query.order_by(h.created_at.desc(), h.hit_id).limit(limit).offset(offset)
        with self._engine.connect() as conn:
            return [_record(r) for r in conn.execute(query)]

    def record_disposition(
        self,
        hit_id: str,
        owner_id: int,
        disposition: Disposition | str,
        action: HitAction | str = HitAction.NONE,
        *,
        by: str,
        note: str = "",
        now: datetime | None = None,
        changed_by: Mapping[str, Any] | None = None,
    ) -> HitRecord:
        """Record what the officer ``by`` found and did; a later record replaces it.
        Raises ``DispositionError`` for an action on an unconfirmed hit, ``UnknownHit``,
        `ChangeNotLogged` (nothing recorded) when the audit log cannot take its entry."""
        disposition, action = Disposition(disposition), HitAction(action)
        check_disposition(disposition, action)
        moment = now or datetime.now(UTC)
        before = self.get(hit_id, owner_id, moment)
        with self._engine.begin() as conn:
            if self._audit_log is not None:
                owner = self._agency_name(owner_id)
                entry = change_entry(
                    HIT_DISPOSITION, changed_by or who(by, owner_id), object="hit",
                    object_id=hit_id, change="disposition", agency=owner,
                    owner_agency=owner, list_id=before.list_id,
                    before=None if before.disposition is None else {
                        "disposition": before.disposition, "action": before.action,
                        "note": before.disposition_note or ""},
                    after={"disposition": disposition.value, "action": action.value,
                           "note": note[:1000]},
                )  # fmt: skip
                log_change(self._audit_log, conn, entry)
            conn.execute(
                update(hotlist_hits)
                .where(hotlist_hits.c.hit_id == hit_id, hotlist_hits.c.list_owner_id == owner_id)
                .values(disposition=disposition.value, action=action.value, disposed_by=by,
                        disposed_at=to_millis(moment), disposition_note=note[:1000])
            )  # fmt: skip
        return self.get(hit_id, owner_id, moment)

    def disposition_stats(
        self, owner_id: int, since: datetime, until: datetime
    ) -> DispositionStats:
        """Matches delivered to ``owner_id`` in [``since``, ``until``) and their outcome."""
        h = hotlist_hits.c
        query = (
            select(h.disposition, h.action, h.match_kind, h.category, func.count())
            .where(h.list_owner_id == owner_id, h.created_at >= to_millis(since),
                   h.created_at < to_millis(until))
            .group_by(h.disposition, h.action, h.match_kind, h.category)
        )  # fmt: skip
        by_disposition: Counter[str] = Counter()
        outcomes: Counter[str] = Counter()
        by_kind: Counter[str] = Counter()
        by_category: Counter[str] = Counter()
        stops = 0
        with self._engine.connect() as conn:
            for disposition, action, kind, category, count in conn.execute(query):
                by_disposition[disposition or "pending"] += count
                by_kind[kind] += count
                by_category[category] += count
                if disposition == Disposition.CONFIRMED and action:
                    outcomes[action] += count
                    if HitAction(action) in STOP_ACTIONS:
                        stops += count
        return DispositionStats(
            matches=sum(by_disposition.values()),
            pending=by_disposition["pending"],
            confirmed=by_disposition[Disposition.CONFIRMED.value],
            misread=by_disposition[Disposition.MISREAD.value],
            wrong_state=by_disposition[Disposition.WRONG_STATE.value],
            dismissed=by_disposition[Disposition.DISMISSED.value],
            stops=stops,
            outcomes=dict(outcomes),
            by_kind=dict(by_kind),
            by_category=dict(by_category),
        )

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete hits past their retention; return how many."""
        stamp = to_millis(now or datetime.now(UTC))
        with self._engine.begin() as conn:
            return conn.execute(
                delete(hotlist_hits).where(hotlist_hits.c.expires_at <= stamp)
            ).rowcount
