"""`AccessGate`: decide per owner, search the allowed ones, log, then answer.

Fail closed at every step: a decider that raises, or an audit append that fails, ends the
request with an error and no data (`plateledger.access.errors`). The kinds of access built
on it — searches, exports, image views, audit reads — are the modules beside this one.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from plateledger.access.alarm import AlarmMonitor
from plateledger.access.clocks import with_image_clocks
from plateledger.access.digest import result_digest
from plateledger.access.errors import (
    AccessDenied,
    AccessError,
    AuditUnavailable,
    DecisionUnavailable,
)
from plateledger.access.held import asking_agencies
from plateledger.audit import AuditLog, new_entry
from plateledger.catalog import Agency, Catalog, Principal
from plateledger.retention.holds import HoldStore, LegalHold
from plateledger.search import OwnerLimit, Scope, SearchPage
from plateledger.store.image_purges import ImagesGone
from plateledger.store.images import KINDS, CropStore

log = logging.getLogger("plateledger.access")


@dataclass(frozen=True)
class OwnerOutcome:
    owner_id: int
    allowed: bool
    policy_ids: tuple[str, ...]
    limit: OwnerLimit | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """How the limits narrowed the request for this owner (``lookback limited to N days``)."""


@dataclass(frozen=True)
class AccessQuestion:
    """Everything policy is asked about one request."""

    user: Principal
    requested_by_id: int
    action: str
    purpose: str
    case_number: str | None
    reason: str
    lookback_days: int
    owners: Sequence[int]
    now: datetime
    hotlist_category: str | None = None
    has_legal_basis: bool = False


@dataclass(frozen=True)
class Decision:
    outcomes: Mapping[int, OwnerOutcome]
    policy_hash: str
    reason_flags: tuple[str, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)

    def scope(self) -> Scope:
        return Scope(
            {o.owner_id: o.limit or OwnerLimit() for o in self.outcomes.values() if o.allowed}
        )


def both(first: Decision, second: Decision) -> Decision:
    """The owners ``first`` and ``second`` (the same question, two actions) both allow,
    each under the narrower of its two limits; an owner either denies is denied with the
    policy ids of the decision that denied it."""
    outcomes: dict[int, OwnerOutcome] = {}
    for owner_id, a in first.outcomes.items():
        b = second.outcomes.get(owner_id)
        if b is None or not b.allowed or not a.allowed:
            outcomes[owner_id] = a if not a.allowed or b is None else b
            continue
        x, y = a.limit or OwnerLimit(), b.limit or OwnerLimit()
        limit = replace(
            x,
            since=max((s for s in (x.since, y.since) if s is not None), default=None),
            result_cap=min((c for c in (x.result_cap, y.result_cap) if c is not None),
                           default=None),
            images=x.images and y.images,
            images_since=max((s for s in (x.images_since, y.images_since) if s is not None),
                             default=None),
        )
        outcomes[owner_id] = OwnerOutcome(
            owner_id, True, tuple(dict.fromkeys(a.policy_ids + b.policy_ids)), limit,
            tuple(dict.fromkeys(a.reasons + b.reasons)), tuple(dict.fromkeys(a.notes + b.notes)))
    return replace(first, outcomes=outcomes)


class Decider(Protocol):
    def decide(self, question: AccessQuestion) -> Decision: ...


def agency_facts(agency: Agency) -> dict[str, str]:
    """What an entry records of an agency as it was when the access was decided: its
    name, class (``kind``), jurisdiction, home state and report time zone (a later
    reclassification in the catalog does not rewrite what the log says it was)."""
    return {
        "name": agency.name,
        "class": str(agency.kind),
        "jurisdiction": agency.jurisdiction or "",
        "home_state": agency.home_state,
        "timezone": agency.timezone or "",
    }


@dataclass
class _Snapshot:
    """The agencies, and the cameras of the owners asked so far, of one generation."""

    generation: int
    agencies: dict[int, Agency]
    cameras: dict[int, tuple[str, ...]] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)
    """What other modules read once per generation (the partner nodes, this node's own
    owners): kept here, read again with the next generation."""


class CatalogView:
    """Agencies and each owner's cameras, read once per catalog generation.

    Each access reads the generation (one small query) and reuses what was read for that
    generation; any change to agencies or cameras, by this process or another, bumps the
    generation, so the next access reads them again — never a stale camera count. The
    generation is read *before* the rows, so rows read are never older than the
    generation they are kept under."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def current(self) -> _Snapshot:
        generation = self.catalog.generation()
        with self._lock:
            snapshot = self._snapshot
        if snapshot is None or snapshot.generation != generation:
            snapshot = _Snapshot(generation, {a.id: a for a in self.catalog.agencies()})
            with self._lock:
                self._snapshot = snapshot
        return snapshot

    def cameras(self, snapshot: _Snapshot, owner_id: int) -> tuple[str, ...]:
        """The camera ids of ``owner_id`` (kept in ``snapshot``: a snapshot replaced
        meanwhile keeps what it was given, the new one reads afresh)."""
        found = snapshot.cameras.get(owner_id)
        if found is None:
            found = tuple(c.camera_id for c in self.catalog.cameras(owner_id))
            snapshot.cameras[owner_id] = found
        return found


class AccessGate:
    """The one path from a request to data."""

    def __init__(self, catalog: Catalog, audit_log: AuditLog, decider: Decider) -> None:
        self.catalog = catalog
        self.audit_log = audit_log
        self.decider = decider
        self.alarms = AlarmMonitor(audit_log, catalog)  # the app sets its configured one
        self.images: CropStore | None = None  # the app sets its image store
        self.images_gone: ImagesGone | None = None  # and the purge's record of it
        self.view = CatalogView(catalog)

    def owners(self) -> list[int]:
        """Every agency whose data could be in scope (the policy decides per owner)."""
        return sorted(self.view.current().agencies)

    def requested_by(self, user: Principal, slug: str | None) -> int:
        """The agency a request is made for: the one named by ``slug``, the user's own
        without one — and always the agency an administrator recorded the user as acting
        for, where there is one (a request naming another is refused)."""
        if not slug:
            return user.agency_id if user.acting_for_id is None else user.acting_for_id
        agency = self.catalog.agency_by_slug(slug)
        if agency is None:
            raise AccessDenied("unknown_agency", f"no agency `{slug[:64]}` in the catalog")
        if user.acting_for_id is not None and agency.id != user.acting_for_id:
            acting = self.catalog.agency(user.acting_for_id)
            name = acting.slug if acting is not None else str(user.acting_for_id)
            raise AccessDenied(
                "acting_for",
                f"user `{user.username}` acts for agency `{name}`: every request of theirs "
                f"is made for it, not for `{slug[:64]}`",
            )
        return agency.id

    def question(
        self,
        user: Principal,
        *,
        action: str,
        purpose: str,
        case_number: str | None,
        reason: str,
        requested_by: str | None,
        lookback_days: int,
        now: datetime,
        hotlist_category: str | None = None,
    ) -> AccessQuestion:
        """The question of one request, asked of every owner; its agency from
        `requested_by`. Raises `AccessDenied` for an unknown or refused agency."""
        return AccessQuestion(
            user=user,
            requested_by_id=self.requested_by(user, requested_by),
            action=action,
            purpose=purpose,
            case_number=case_number or None,
            reason=reason,
            lookback_days=lookback_days,
            owners=self.owners(),
            now=now,
            hotlist_category=hotlist_category,
        )

    def decide(self, question: AccessQuestion) -> Decision:
        self.alarms.check(question.user)  # raises `Throttled` for a user denied too often
        try:
            return self.decider.decide(question)
        except AccessError:
            raise
        except Exception as exc:
            log.exception("policy decision failed")
            raise DecisionUnavailable(
                "no policy decision could be made; no data was returned"
            ) from exc

    def _images_stored(self, read_id: uuid.UUID) -> bool:
        """Whether an image of the read is still stored (True where the gate has no image
        store to ask): asked only of reads a hold keeps past their images clock."""
        if self.images is None:
            return True
        return any(self.images.exists(read_id, kind) for kind in KINDS)

    def _case_holds(self, question: AccessQuestion) -> Sequence[LegalHold]:
        """The active holds whose images an access may see past their clock: those of the
        case it names, where it is made by and for that case's agency alone (as for held
        copies, `plateledger.access.held`): a hold keeps evidence for its case, and widens
        no other search's or partner's view."""
        asking = asking_agencies(question.user, question.requested_by_id)
        if not question.case_number or len(asking) != 1:
            return ()
        [agency] = asking
        return HoldStore(self.catalog.engine, self.audit_log).for_case(
            question.case_number, question.now, case_agency=agency)

    def run(
        self,
        question: AccessQuestion,
        *,
        kind: str,
        query: Mapping[str, Any],
        execute: Callable[[Scope], SearchPage],
        entry_type: str = "search",
        facts: Mapping[str, Any] | None = None,
        also: Sequence[str] = (),
    ) -> tuple[Decision, SearchPage, int]:
        """Decide, search within the decision, append the audit entry (a ``search`` or an
        ``export``, with ``facts`` such as its offense type), return all three. ``also``:
        further actions each owner must allow as well (`both`): an export is also the
        search of its kind."""
        decision = self.decide(question)
        for action in also:
            decision = both(decision, self.decide(replace(question, action=action)))
        snapshot = self.view.current()
        scope = with_image_clocks(decision.scope(), snapshot.agencies, question.now,
                                  lambda: self._case_holds(question), self._images_stored,
                                  None if self.images_gone is None
                                  else self.images_gone.current)
        page = execute(scope)
        names = {a.id: a.slug for a in snapshot.agencies.values()}
        index = self.record(
            question,
            decision,
            entry_type,
            names=names,
            snapshot=snapshot,
            kind=kind,
            query=dict(query),
            owners_allowed=[
                names.get(o.owner_id, str(o.owner_id))
                for o in decision.outcomes.values()
                if o.allowed
            ],
            owners_denied=[
                {"agency": names.get(o.owner_id, str(o.owner_id)), "policy_ids": list(o.policy_ids)}
                for o in decision.outcomes.values()
                if not o.allowed
            ],
            owners_allowed_policy_ids={
                names.get(o.owner_id, str(o.owner_id)): list(o.policy_ids)
                for o in decision.outcomes.values()
                if o.allowed
            },
            devices_searched=self._devices(decision, query, snapshot),
            returned_by_owner=self._returned_by_owner(decision, page, names),
            result_count=page.total,
            returned=len(page.results),
            result_digest=result_digest(r.read_id for r in page.results),
            **(facts or {}),
        )
        return decision, page, index

    def _devices(self, decision: Decision, query: Mapping[str, Any], snapshot: _Snapshot) -> int:
        """The cameras in scope: those of the owners that released data, narrowed to the
        cameras the query names, if it names any (read once per catalog generation)."""
        named = set(query.get("cameras") or ())
        return sum(
            1
            for o in decision.outcomes.values()
            if o.allowed
            for camera in self.view.cameras(snapshot, o.owner_id)
            if not named or camera in named
        )

    @staticmethod
    def _returned_by_owner(
        decision: Decision, page: SearchPage, names: Mapping[int, str]
    ) -> dict[str, int]:
        """The reads returned per owner that released data (zero where none)."""
        counts = {o.owner_id: 0 for o in decision.outcomes.values() if o.allowed}
        for r in page.results:
            counts[r.owner_id] = counts.get(r.owner_id, 0) + 1
        return {names.get(owner, str(owner)): n for owner, n in counts.items()}

    def record(
        self,
        q: AccessQuestion,
        decision: Decision,
        entry_type: str,
        *,
        names: Mapping[int, str] | None = None,
        snapshot: _Snapshot | None = None,
        **fields: Any,
    ) -> int:
        """Append the entry of one decided access — who, for whom (each agency's name,
        class, jurisdiction and home state as they are now: ``agency_facts``), the agency
        the user acts for where one is recorded (``acting_for``), why, under which policy
        set, and ``fields`` — and return its index; raise
        `AuditUnavailable` (so that nothing is answered) when it cannot be written."""
        snapshot = snapshot or self.view.current()
        if names is None:
            names = {a.id: a.slug for a in snapshot.agencies.values()}
        facts = {
            names.get(i, str(i)): agency_facts(snapshot.agencies[i])
            for i in (q.user.agency_id, q.requested_by_id)
            if i in snapshot.agencies
        }
        acting = q.user.acting_for_id
        if acting is not None and acting != q.user.agency_id:
            # The classes policy judged the user as: its own agency's and this one's (both
            # must allow), so the entry does not read as if only one class was asked.
            fields = {"acting_for": names.get(acting, str(acting)), **fields}
        entry = new_entry(
            entry_type,
            user=q.user.username,
            agency=names.get(q.user.agency_id, str(q.user.agency_id)),
            requested_by_agency=names.get(q.requested_by_id, str(q.requested_by_id)),
            agency_facts=facts,
            purpose=q.purpose,
            case_number=q.case_number,
            reason=q.reason,
            reason_flags=list(decision.reason_flags),
            **fields,
            policy_set_hash=decision.policy_hash,
        )
        try:
            index = self.audit_log.append(entry)
        except Exception as exc:
            log.exception("audit append failed; the answer is withheld")
            raise AuditUnavailable(
                f"the audit log could not record this {entry_type}; no data was returned"
            ) from exc
        self.alarms.observe(q, decision, index)  # denial bursts, flagged reasons
        return index

    def _names(self) -> dict[int, str]:
        return {a.id: a.slug for a in self.view.current().agencies.values()}


def lookback_days(since: datetime | None, now: datetime | None = None) -> int:
    """How far back a search reaches, in whole days (unbounded searches count as a year)."""
    if since is None:
        return 365
    delta = (now or datetime.now(UTC)) - since
    return max(0, int(delta / timedelta(days=1)) + 1)
