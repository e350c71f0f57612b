"""Retention clocks: how long an agency keeps non-hit reads, hit reads, images and its log.

A law pack applies to data by its origin state and sets the longest a read may be kept;
the agency's own published setting applies where it is shorter or where the pack leaves
the clock open. `effective_policy` takes the strictest of all that apply, and the ingest
path stamps each read with `expiry_for` (rounded down to its minute,
`plateledger.store.schema.expiry_stamp`) and asks `searchable` whether it may enter the
read store at all.

New Hampshire (RSA 261:75-b VIII) requires non-hit reads to be purged within three
minutes. Such reads are never inserted into the read store: the ingest path hands them to
the hot-list matcher only (`searchable` is false). Should one be inserted anyway, it is
stamped to expire at its receive time (`expiry_for(..., received_at=...)`), so every query
already excludes it and the next purge deletes it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from plateledger.policy.lawpack import LAW_PACKS, STATE_PACKS, RetentionPreset

AUDIT_LOG_MINIMUM = timedelta(days=5 * 365 + 1)
"""The platform keeps the audit log at least five years (LAWS.md, all packs), longer than
any pack's own floor (`RetentionPreset.audit`: a year under the CJIS Security Policy, five
years in Washington); a pack whose floor were longer would raise it."""

_STATE_CODE = re.compile(r"^[A-Z]{2}$")

NON_SEARCHABLE_LIMIT = timedelta(minutes=3)
"""A non-hit clock this short means the non-hit read never becomes searchable."""

DEFAULT_NON_HIT = timedelta(days=30)
DEFAULT_HIT = timedelta(days=365)
"""The platform's default where neither the law pack nor the agency sets a clock."""


class RetentionError(ValueError):
    """A retention clock or pack code that cannot be used."""


@dataclass(frozen=True)
class RetentionPolicy:
    """One agency's clocks. Images never outlive their read; the audit log keeps 5 years.

    ``sources`` names what set the clocks: pack codes (``"VA"``) and/or ``"agency"`` or
    ``"default"``.
    """

    non_hit: timedelta
    hit: timedelta
    images: timedelta
    audit_log: timedelta = AUDIT_LOG_MINIMUM
    sources: tuple[str, ...] = ()

    @property
    def images_go_first(self) -> bool:
        """Whether images are deleted before some of their reads (an images clock shorter
        than a read's): only then do images and reads part."""
        return self.images < max(self.non_hit, self.hit)

    def __post_init__(self) -> None:
        for name in ("non_hit", "hit", "images"):
            if getattr(self, name) <= timedelta(0):
                raise RetentionError(f"retention clock `{name}` must be positive")
        if self.audit_log < AUDIT_LOG_MINIMUM:
            raise RetentionError("the audit log must be kept at least five years")

    @classmethod
    def days(
        cls,
        non_hit: float,
        hit: float | None = None,
        images: float | None = None,
        *,
        audit_log: float | None = None,
        sources: tuple[str, ...] = ("agency",),
    ) -> RetentionPolicy:
        """An agency setting in days; hits and images default to the non-hit clock."""
        return cls(
            non_hit=timedelta(days=non_hit),
            hit=timedelta(days=non_hit if hit is None else hit),
            images=timedelta(days=non_hit if images is None else images),
            audit_log=AUDIT_LOG_MINIMUM if audit_log is None else timedelta(days=audit_log),
            sources=sources,
        )

    @property
    def non_hits_searchable(self) -> bool:
        return self.non_hit > NON_SEARCHABLE_LIMIT

    def clock(self, hit: bool) -> timedelta:
        return self.hit if hit else self.non_hit

    def as_json(self) -> dict[str, Any]:
        """Clocks in whole seconds, for receipts and the API."""
        return {
            "non_hit_s": int(self.non_hit.total_seconds()),
            "hit_s": int(self.hit.total_seconds()),
            "images_s": int(self.images.total_seconds()),
            "audit_log_s": int(self.audit_log.total_seconds()),
            "non_hits_searchable": self.non_hits_searchable,
            "sources": list(self.sources),
        }


PACK_RETENTION: Mapping[str, RetentionPreset] = MappingProxyType(
    {code: LAW_PACKS[code].retention for code in STATE_PACKS}
)
"""Retention ceilings of the state law packs (LAWS.md), by pack code. Hits kept as
evidence are left to the agency except where the statute caps all data (VT); a court
order is a legal hold."""

CHP_POLICY = RetentionPolicy.days(60, sources=("agency",))
"""Example of an agency's own setting: the California Highway Patrol keeps reads 60 days."""


def effective_policy(
    pack_codes: Iterable[str], agency_override: RetentionPolicy | None
) -> RetentionPolicy:
    """The strictest clocks among the packs that apply and the agency's own setting.

    ``pack_codes`` are pack codes (two-letter state codes, or an opt-in profile such as
    ``CA-STRICT``); a state without a retention rule adds no ceiling. The audit log is
    kept the longest of the packs' audit floors, the platform minimum and the agency's
    setting. Where no pack and no agency setting fixes a clock, the platform default
    applies (`DEFAULT_NON_HIT`, `DEFAULT_HIT`). Images never outlive the longer read
    clock. Raises `RetentionError` for a code that is neither a pack nor two letters.
    """
    if agency_override is None:
        return policy_for_agency(pack_codes)
    return policy_for_agency(
        pack_codes,
        non_hit=agency_override.non_hit,
        hit=agency_override.hit,
        images=agency_override.images,
        audit_log=agency_override.audit_log,
    )


def policy_for_agency(
    pack_codes: Iterable[str],
    *,
    non_hit: timedelta | None = None,
    hit: timedelta | None = None,
    images: timedelta | None = None,
    audit_log: timedelta | None = None,
) -> RetentionPolicy:
    """`effective_policy` for an agency that may set some clocks and leave others open
    (the catalog's ``retention_*_days`` columns, each nullable)."""
    non_hits: list[timedelta] = []
    hits: list[timedelta] = []
    sources: list[str] = []
    audits: list[timedelta] = [AUDIT_LOG_MINIMUM]
    for code in sorted({c.strip().upper() for c in pack_codes}):
        pack = PACK_RETENTION.get(code)
        if pack is None and not _STATE_CODE.match(code):
            raise RetentionError(f"law pack `{code}` is not a two-letter state code")
        if pack is None:
            continue
        audits.append(pack.audit)
        if pack.non_hit is not None or pack.hit is not None:
            sources.append(code)
        if pack.non_hit is not None:
            non_hits.append(pack.non_hit)
        if pack.hit is not None:
            hits.append(pack.hit)
    own = [clock for clock in (non_hit, hit, images) if clock is not None]
    if own:
        sources.append("agency")
    if non_hit is not None:
        non_hits.append(non_hit)
    if hit is not None:
        hits.append(hit)
    if not non_hits or not hits:
        sources.append("default")
    chosen_non_hit = min(non_hits, default=DEFAULT_NON_HIT)
    chosen_hit = min(hits, default=DEFAULT_HIT)
    longest_read = max(chosen_non_hit, chosen_hit)
    return RetentionPolicy(
        non_hit=chosen_non_hit,
        hit=chosen_hit,
        images=longest_read if images is None else min(images, longest_read),
        audit_log=max(audits) if audit_log is None else max(audit_log, *audits),
        sources=tuple(dict.fromkeys(sources)),
    )


def policy_in_days(
    pack_codes: Iterable[str], non_hit: int | None, hit: int | None, images: int | None,
) -> RetentionPolicy:
    """`policy_for_agency` with the agency's own clocks in whole days, as the catalog keeps
    them (``retention_*_days``, each nullable): the clocks the purge enforces."""

    def days(value: int | None) -> timedelta | None:
        return None if value is None else timedelta(days=value)

    return policy_for_agency(pack_codes, non_hit=days(non_hit), hit=days(hit),
                             images=days(images))


def expiry_for(
    read_ts: datetime, hit: bool, policy: RetentionPolicy, *, received_at: datetime | None = None
) -> datetime:
    """The moment after which a read must never be returned (`expires_at`).

    ``read_ts`` is time-zone aware. For a read that may not become searchable (a non-hit
    under a clock of 3 minutes or less), passing ``received_at`` makes it expire no later
    than its arrival, so no query ever returns it.
    """
    if read_ts.tzinfo is None:
        raise RetentionError("read time has no time zone")
    # in elapsed time: Python adds a timedelta to a zoned time on the wall clock, so a
    # read stamped in New York before the autumn change would be kept an hour longer
    expires = read_ts.astimezone(UTC) + policy.clock(hit)
    if received_at is not None and not searchable(policy, hit):
        expires = min(expires, received_at.astimezone(UTC))
    return expires


def searchable(policy: RetentionPolicy, hit: bool) -> bool:
    """Whether a read may enter the read store; false for NH-style non-hits (matcher only)."""
    return hit or policy.non_hits_searchable


def policy_set_hash(policies: Mapping[int, RetentionPolicy]) -> str:
    """SHA-256 over the canonical JSON of the owners' policies (recorded in receipts)."""
    body = {str(owner): p.as_json() for owner, p in sorted(policies.items())}
    data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()
