"""Requests to the policy engine and its answers.

One `AccessRequest` names one action, one purpose and every owner in scope; the engine
answers with one `OwnerDecision` per owner, each carrying the ids of the policies that
decided it, so the audit log can record exactly why each owner was allowed or denied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from plateledger.policy.action import Action
from plateledger.policy.purpose import Purpose
from plateledger.policy.reason import ReasonFlag

DEFAULT_DENY = "default-deny"
"""Policy id recorded when no permit applied: nothing is allowed by default."""
POLICY_ERROR = "policy-error"
"""Policy id recorded when Cedar could not evaluate a policy: treated as a denial."""
UNKNOWN_OWNER = "unknown-owner"
"""Policy id recorded for an owner the engine has no facts about."""


@dataclass(frozen=True)
class AccessRequest:
    """One question: may this user, for ``requested_by_agency_id``, do ``action`` on the data
    of each of ``owners``, for ``purpose``?

    ``user_id`` ``None`` means the agency acts itself (the hot-list matcher delivering an
    alert). ``now`` is time-zone aware. ``lookback_days`` is how far back the search
    reaches. ``hotlist_category`` is the list's category for ``receive_alert`` and
    an import's ``manage_hotlists``; ``hotlist_file_type`` the source file type of the listed entry
    (`FileType`).

    ``user_roles`` are the user's roles as the catalog records them (the role pack decides
    what each may do; a user with none may do nothing). ``acting_for_agency_id`` is the
    agency an administrator recorded the user as acting for (a federal task-force officer
    with a local login): every request of theirs is requested by it, and the user is asked
    as of that agency's class and as of its own — both must allow, so acting-for never
    widens what a user gets. ``purpose`` ``None`` is for administration, which names no
    purpose.
    """

    user_id: int | None
    user_agency_id: int
    requested_by_agency_id: int
    action: Action
    purpose: Purpose | None
    case_number: str | None
    reason: str
    lookback_days: int
    owners: Sequence[int]
    now: datetime
    hotlist_category: str | None = None
    user_roles: frozenset[str] = frozenset()
    hotlist_file_type: str | None = None
    acting_for_agency_id: int | None = None
    has_legal_basis: bool = False
    """whether the request names the warrant or court order it is made under (its number
    and court, recorded in its audit entry)"""

    @property
    def has_case_number(self) -> bool:
        return bool(self.case_number and self.case_number.strip())


@dataclass(frozen=True)
class Limits:
    """What an allowed owner's data may be used with; ``None`` is no limit from policy."""

    lookback_days: int | None = None
    result_cap: int | None = None
    images: bool = True

    def widest(self, other: Limits) -> Limits:
        """The limits of whichever grant allows more, field by field (two permits)."""
        return Limits(
            _wider(self.lookback_days, other.lookback_days),
            _wider(self.result_cap, other.result_cap),
            self.images or other.images,
        )

    def narrowest(self, other: Limits) -> Limits:
        """The limits both must respect (the user's side and the requested-by side)."""
        return Limits(
            _narrower(self.lookback_days, other.lookback_days),
            _narrower(self.result_cap, other.result_cap),
            self.images and other.images,
        )


def _wider(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else max(a, b)


def _narrower(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


@dataclass(frozen=True)
class OwnerDecision:
    """The answer for one owner: ``policy_ids`` are the permits that allowed, or the forbids
    that denied, or `DEFAULT_DENY` (or, where the only agreement for the pair has ended or
    does not grant the action, ``agreement-<id>-expired``, ``-revoked``, ``-not-started``,
    ``-action-not-granted``); ``reasons`` say the same in sentences; ``notes`` say how the
    limits narrowed the request (a clamped lookback)."""

    owner_id: int
    allowed: bool
    policy_ids: tuple[str, ...]
    limits: Limits
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessDecision:
    """The answer to one `AccessRequest`, per owner, under the policy set ``policy_hash``."""

    per_owner: dict[int, OwnerDecision]
    policy_hash: str
    reason_flags: frozenset[ReasonFlag] = frozenset()

    def allowed_owners(self) -> tuple[int, ...]:
        """Owners whose data may be used, in request order."""
        return tuple(o for o, d in self.per_owner.items() if d.allowed)

    def denied_owners(self) -> tuple[int, ...]:
        return tuple(o for o, d in self.per_owner.items() if not d.allowed)


@dataclass(frozen=True)
class CedarCall:
    """One Cedar request as evaluated: which side of the request it checks (``user``,
    ``user_as_own_agency`` — an acting-for user judged as of its own agency's class —,
    ``acting_for``, ``requested_by`` or ``agency``), the principal, action, resource and
    context, and the result."""

    side: str
    principal: str
    action: str
    resource: str
    context: Mapping[str, Any]
    allowed: bool
    policy_ids: tuple[str, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """A decision together with every Cedar request behind it, for admins and auditors."""

    decision: AccessDecision
    calls: dict[int, tuple[CedarCall, ...]]
    packs_version: str


@dataclass(frozen=True)
class ActionPreview:
    """A dry run of one action of a proposed agreement: the purposes under which its
    recipient would be allowed, and the rules that deny the rest (``denied_by``, with
    ``reasons``). No allowed purpose: the packs will always deny this action."""

    action: Action
    allowed_purposes: tuple[Purpose, ...]
    denied_by: tuple[str, ...]
    reasons: tuple[str, ...] = ()

    @property
    def always_denied(self) -> bool:
        return not self.allowed_purposes


@dataclass(frozen=True)
class SharingPartner:
    """An agency that can reach an owner's data, and for what, as the engine decides it."""

    agency_id: int
    name: str
    actions: tuple[Action, ...]
    purposes: tuple[Purpose, ...]
    policy_ids: tuple[str, ...] = field(default=())
