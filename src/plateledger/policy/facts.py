"""The facts policy is compiled from: agencies, sharing agreements and declarations.

Plain frozen values, built by the caller from the catalog; this package never reads the
catalog itself. Times are time-zone aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from plateledger.policy.action import ADMIN_ACTIONS, Action
from plateledger.policy.errors import PolicyCompileError
from plateledger.policy.purpose import Purpose


class AgencyKind(StrEnum):
    """The requester class of an agency, as an administrator recorded it."""

    MUNICIPAL = "municipal"
    COUNTY = "county"
    STATE = "state"
    FEDERAL = "federal"
    TRIBAL = "tribal"
    PRIVATE = "private"


@dataclass(frozen=True)
class AgencyFacts:
    """One agency as policy sees it: owner of a dataset and a requester of a fixed class.

    ``law_packs`` are the pack codes that govern this agency's data (by its origin state);
    `default_packs` gives the usual choice. ``purposes`` are the purposes the agency
    published for its data (``None``: whatever the packs allow). ``is_prosecutor`` and
    ``is_defence`` mark the non-police requesters Virginia lets in.
    """

    id: int
    name: str
    kind: AgencyKind
    home_state: str
    law_packs: tuple[str, ...]
    case_number_required: bool = False
    purposes: tuple[Purpose, ...] | None = None
    is_law_enforcement: bool = True
    is_prosecutor: bool = False
    is_defence: bool = False
    lat: float | None = None
    lon: float | None = None
    """Where the agency has its seat (a radius sharing preset measures from it)."""

    def __post_init__(self) -> None:
        if len(self.home_state) != 2 or not self.home_state.isupper():
            raise PolicyCompileError(
                f"home state `{self.home_state}` of agency `{self.id}` must be two capitals"
            )


@dataclass(frozen=True)
class Agreement:
    """``owner_id`` lets ``recipient_id`` run ``actions`` on its data for ``purposes``
    (``None``: any purpose the packs allow), from ``starts`` until ``expires`` or
    ``revoked_at``, whichever is first. ``images`` lets the recipient see images.

    ``recipient_id`` ``None`` shares with every agency: the law packs still decide.
    """

    id: int
    owner_id: int
    recipient_id: int | None
    actions: frozenset[Action]
    purposes: frozenset[Purpose] | None
    max_lookback_days: int | None
    case_number_required: bool
    result_cap: int | None
    images: bool
    starts: datetime
    expires: datetime | None = None
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.owner_id == self.recipient_id:
            raise PolicyCompileError(f"agreement `{self.id}` shares an agency with itself")
        if not self.actions:
            raise PolicyCompileError(f"agreement `{self.id}` grants no action")
        admin = sorted(self.actions & ADMIN_ACTIONS)
        if admin:
            raise PolicyCompileError(
                f"agreement `{self.id}` cannot grant administration `{admin[0]}`"
            )
        if self.purposes is not None and not self.purposes:
            raise PolicyCompileError(f"agreement `{self.id}` lists no purpose")
        for name in ("max_lookback_days", "result_cap"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise PolicyCompileError(f"`{name}` of agreement `{self.id}` must be 1 or more")
        for moment in (self.starts, self.expires, self.revoked_at):
            if moment is not None and moment.tzinfo is None:
                raise PolicyCompileError(f"agreement `{self.id}` has a time without a zone")

    def ends(self) -> datetime | None:
        """When the agreement stops applying (expiry or revocation, the earlier)."""
        ends = [t for t in (self.expires, self.revoked_at) if t is not None]
        return min(ends) if ends else None

    def in_force(self, at: datetime) -> bool:
        """Whether the agreement applies at ``at``: started, not yet ended."""
        end = self.ends()
        return self.starts <= at and (end is None or at < end)


@dataclass(frozen=True)
class Declaration:
    """A written declaration (625 ILCS 5/2-130): ``signer`` of agency ``agency_id`` declared
    at ``signed_at`` that data of ``owner_state`` will not be used for what the statute
    forbids; ``document_digest`` is the hex SHA-256 of the signed document. A declaration
    counts from ``signed_at`` until ``revoked_at``, if it was revoked."""

    agency_id: int
    owner_state: str
    signer: str
    signed_at: datetime
    document_digest: str
    revoked_at: datetime | None = None
