"""Supervisors' tools: per-operator analytics over the agency's own searches, flagged for
review, and random audit samples that a supervisor reviews and signs off.

Reading is decided by the policy set like any reading of the audit log (``view_audit``:
supervisors and auditors of the agency, the role pack's ``role-view-audit``) and logged
before anything is served: a ``supervision_read`` entry for the analytics, a
``search_sample`` entry for a drawn sample (which indexes, drawn by whom), a
``search_review`` entry for a sign-off. Only the agency's own users' entries are read.
Plates are shown as keyed tokens (`plateledger.transparency.tokens`), so a supervisor sees
that one plate was searched again and again without seeing the plate.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from plateledger.access.errors import (
    AccessDenied,
    AuditUnavailable,
    Conflict,
    NotPermitted,
    NotVisible,
)
from plateledger.access.policy_source import PolicySource, decide_own
from plateledger.audit import AuditLog, new_entry
from plateledger.audit.redaction import timestamp
from plateledger.catalog import Catalog, Principal
from plateledger.policy import Action
from plateledger.transparency.tokens import plate_token

__all__ = [
    "FINDINGS",
    "MAX_SAMPLE",
    "Supervision",
    "Thresholds",
    "operator_figures",
]

SUPERVISION_READ = "supervision_read"
SEARCH_SAMPLE = "search_sample"
SEARCH_REVIEW = "search_review"
FINDINGS = ("justified", "unjustified", "needs_follow_up")
SEARCH_TYPES = ("search", "export")
WIDE_KINDS = frozenset({"wildcard", "fuzzy", "area"})
PAGE = 1000
MAX_SAMPLE = 200


def _some(indexes: list[int], shown: int = 20) -> str:
    """``indexes`` for a message: the first ``shown`` and how many more (a refusal does not
    echo back a request's every key)."""
    more = len(indexes) - shown
    return str(indexes[:shown]) + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class Thresholds:
    """When an operator's figure is flagged to supervisors."""

    searches_per_day: int = 50
    off_hours: tuple[int, int] = (22, 6)
    """Hours (UTC) from which and until which a search counts as off-hours."""
    off_hours_share: float = 0.25
    repeat_plate: int = 3
    """Searches of one plate without a case number from which it is flagged."""
    wide_share: float = 0.5
    vague: int = 3
    denial_streak: int = 5
    wide_lookback_days: int = 90


@dataclass
class _Operator:
    searches: int = 0
    per_day: Counter[str] = field(default_factory=Counter)
    off_hours: int = 0
    wide: int = 0
    vague: int = 0
    streak: int = 0
    longest_streak: int = 0
    no_case: Counter[str] = field(default_factory=Counter)


def _off_hours(hour: int, window: tuple[int, int]) -> bool:
    start, end = window
    return hour >= start or hour < end if start > end else start <= hour < end


def _wide(entry: dict[str, Any], at: datetime, limits: Thresholds) -> bool:
    if entry.get("kind") in WIDE_KINDS:
        return True
    query = entry.get("query") if isinstance(entry.get("query"), dict) else {}
    since = timestamp(query.get("since")) if query else None
    return since is None or (at - since) > timedelta(days=limits.wide_lookback_days)


def operator_figures(
    entries: Sequence[dict[str, Any]], agency: str, key: str, now: datetime, days: int,
    limits: Thresholds = Thresholds(),
) -> list[dict[str, Any]]:
    """Each operator of ``agency``: searches per day, off-hours searches, wide-scope
    searches, vague reasons, the longest streak of searches every owner denied, plates
    (as tokens) searched repeatedly without a case number — and the flags they raise."""
    first = now - timedelta(days=days)
    ops: dict[str, _Operator] = defaultdict(_Operator)
    for entry in entries:
        if entry.get("type") not in SEARCH_TYPES or entry.get("agency") != agency:
            continue
        at = timestamp(entry.get("time"))
        user = entry.get("user")
        if at is None or not isinstance(user, str) or not first <= at <= now:
            continue
        op = ops[user]
        op.searches += 1
        op.per_day[at.date().isoformat()] += 1
        op.off_hours += _off_hours(at.hour, limits.off_hours)
        op.wide += _wide(entry, at, limits)
        op.vague += "vague" in (entry.get("reason_flags") or [])
        if not entry.get("owners_allowed") and entry.get("owners_denied"):
            op.streak += 1
            op.longest_streak = max(op.longest_streak, op.streak)
        else:
            op.streak = 0
        query = entry.get("query") if isinstance(entry.get("query"), dict) else {}
        plate = query.get("plate") if query else None
        if isinstance(plate, str) and plate and not entry.get("case_number"):
            op.no_case[plate_token(key, plate)] += 1
    out = []
    for user, op in sorted(ops.items()):
        repeated = {t: n for t, n in sorted(op.no_case.items()) if n >= limits.repeat_plate}
        busiest = max(op.per_day.values(), default=0)
        flags = []
        if busiest >= limits.searches_per_day:
            flags.append("many_searches_per_day")
        if op.searches and op.off_hours / op.searches >= limits.off_hours_share:
            flags.append("off_hours")
        if repeated:
            flags.append("same_plate_without_case")
        if op.searches and op.wide / op.searches >= limits.wide_share:
            flags.append("wide_scope")
        if op.vague >= limits.vague:
            flags.append("vague_reasons")
        if op.longest_streak >= limits.denial_streak:
            flags.append("denial_streak")
        out.append({
            "user": user, "searches": op.searches,
            "searches_per_day": round(op.searches / days, 2), "busiest_day": busiest,
            "off_hours": op.off_hours, "wide_scope": op.wide, "vague_reasons": op.vague,
            "longest_denial_streak": op.longest_streak,
            "repeated_without_case": repeated, "flags": flags,
        })
    return out


@dataclass(frozen=True)
class Supervision:
    """The analytics and samples of one agency, as its supervisors may read them."""

    log: AuditLog
    catalog: Catalog
    policy: PolicySource
    key: str

    def _agency(self, user: Principal) -> str:
        verdict = decide_own(self.policy, user, Action.VIEW_AUDIT)
        if not verdict.allowed:
            raise NotPermitted("forbidden", "supervision is for supervisors and auditors: "
                               + "; ".join(verdict.reasons))
        agency = self.catalog.agency(user.agency_id)
        if agency is None:
            raise NotPermitted("forbidden", "the user's agency is not in the catalog")
        return agency.slug

    def _append(self, entry: dict[str, Any]) -> int:
        try:
            return self.log.append(entry)
        except Exception as exc:  # fail closed: nothing is served without its entry
            raise AuditUnavailable("the audit log could not record this; nothing was "
                                   "served") from exc

    def _entries(self) -> list[tuple[int, dict[str, Any]]]:
        with _readable():
            out: list[tuple[int, dict[str, Any]]] = []
            size = self.log.size()
            while len(out) < size:
                page = self.log.entries(len(out), min(PAGE, size - len(out)))
                if not page:
                    break
                out += [(r.index, r.entry) for r in page]
            return out

    def operators(self, user: Principal, days: int, now: datetime | None = None,
                  limits: Thresholds = Thresholds()) -> dict[str, Any]:
        """The analytics of the user's agency over ``days``; logged first."""
        slug = self._agency(user)
        now = now or datetime.now(UTC)
        entries = [e for _, e in self._entries()]
        figures = operator_figures(entries, slug, self.key, now, days, limits)
        index = self._append(new_entry(SUPERVISION_READ, user=user.username, agency=slug,
                                       days=days, operators=len(figures)))
        return {"agency": slug, "days": days, "audit_index": index, "operators": figures}

    def draw(self, user: Principal, size: int, days: int,
             now: datetime | None = None) -> dict[str, Any]:
        """Draw ``size`` searches of the agency's users from the last ``days`` at random
        (unpredictable to the operators) and log the draw; the sample is its entry."""
        if not 1 <= size <= MAX_SAMPLE:
            raise AccessDenied("bad_sample_size", f"a sample has 1 to {MAX_SAMPLE} searches")
        slug = self._agency(user)
        now = now or datetime.now(UTC)
        first = now - timedelta(days=days)
        # the operators' searches, not the drawing supervisor's own: no one reviews
        # themselves (as no supervisor approves their own request)
        pool = [i for i, e in self._entries()
                if e.get("type") in SEARCH_TYPES and e.get("agency") == slug
                and e.get("user") != user.username
                and (t := timestamp(e.get("time"))) is not None and first <= t <= now]
        drawn = sorted(random.SystemRandom().sample(pool, min(size, len(pool))))
        index = self._append(new_entry(SEARCH_SAMPLE, user=user.username, agency=slug,
                                       days=days, pool=len(pool), indexes=drawn))
        return {"sample": index, "pool": len(pool), "items": self._items(drawn)}

    def _items(self, indexes: Sequence[int]) -> list[dict[str, Any]]:
        entries = self._searches(indexes)
        items = []
        for i, e in zip(indexes, entries, strict=True):
            query = e.get("query") if isinstance(e.get("query"), dict) else {}
            plate = query.get("plate") if query else None
            items.append({
                "index": i, "time": e.get("time"), "user": e.get("user"),
                "kind": e.get("kind"), "purpose": e.get("purpose"),
                "offense_type": e.get("offense_type") or "not recorded",
                "case_number": e.get("case_number"), "reason": e.get("reason"),
                "reason_flags": e.get("reason_flags", []),
                "plate": plate_token(self.key, plate) if isinstance(plate, str) else None,
                "result_count": e.get("result_count"),
                "owners_denied": len(e.get("owners_denied") or []),
            })
        return items

    def _searches(self, indexes: Sequence[int]) -> list[dict[str, Any]]:
        with _readable():
            return [self.log.entry(i).entry for i in indexes]

    def _sample(self, slug: str, sample: int) -> dict[str, Any]:
        with _readable():
            if not 0 <= sample < self.log.size():
                raise NotVisible("no_such_sample", f"there is no sample {sample}")
            entry = self.log.entry(sample).entry
        if entry.get("type") != SEARCH_SAMPLE or entry.get("agency") != slug:
            raise NotVisible("no_such_sample", f"there is no sample {sample}")
        return entry

    def show(self, user: Principal, sample: int) -> dict[str, Any]:
        slug = self._agency(user)
        entry = self._sample(slug, sample)
        indexes = list(entry.get("indexes") or [])
        self._append(new_entry("audit_read", user=user.username, agency=slug,
                               indexes=indexes, views=["full"] * len(indexes)))
        reviews = [e for _, e in self._entries() if e.get("type") == SEARCH_REVIEW
                   and e.get("agency") == slug and e.get("sample") == sample]
        return {"sample": sample, "drawn_by": entry.get("user"), "time": entry.get("time"),
                "items": self._items(indexes), "reviews": reviews}

    def review(self, user: Principal, sample: int, findings: dict[int, str],
               note: str) -> dict[str, Any]:
        """Sign off ``sample``: a finding for every search in it; logged as the review."""
        slug = self._agency(user)
        entry = self._sample(slug, sample)
        indexes = set(entry.get("indexes") or [])
        if set(findings) != indexes:
            missing = sorted(indexes - set(findings))
            extra = sorted(set(findings) - indexes)
            raise AccessDenied("findings_mismatch", "give one finding for each search of "
                               f"the sample: missing {_some(missing)}, not in it "
                               f"{_some(extra)}")
        bad = sorted({f for f in findings.values() if f not in FINDINGS})
        if bad:
            raise AccessDenied("unknown_finding",
                               f"findings are {', '.join(FINDINGS)}; not {', '.join(bad)}")
        own = [i for i, e in zip(sorted(indexes), self._searches(sorted(indexes)), strict=True)
               if e.get("user") == user.username]
        if own:
            raise NotPermitted("own_search", f"searches {own} of the sample are your own: "
                               "another supervisor signs them off")
        if any(e.get("type") == SEARCH_REVIEW and e.get("agency") == slug
               and e.get("sample") == sample for _, e in self._entries()):
            raise Conflict("already_reviewed", f"sample {sample} is signed off already: a "
                           "sample is signed off once")
        counts = Counter(findings.values())
        index = self._append(new_entry(
            SEARCH_REVIEW, user=user.username, agency=slug, sample=sample,
            findings={str(k): v for k, v in sorted(findings.items())},
            counts=dict(sorted(counts.items())), note=note, signed=True,
        ))
        return {"review": index, "sample": sample, "counts": dict(sorted(counts.items()))}


@contextmanager
def _readable() -> Iterator[None]:
    """Reading the log: one that cannot be read serves nothing (503 ``fail_closed``)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise AuditUnavailable("the audit log cannot be read; nothing was served") from exc
