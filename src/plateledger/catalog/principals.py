"""Who is asking: a logged-in user (`Principal`) or a camera's key (`KeyPrincipal`).

Both are built from the catalog on every request; nothing in them comes from the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Principal:
    """A user with a valid token, and the class of their agency as the catalog records it.

    ``acting_for_id`` is the agency an administrator recorded the user as acting for (a
    federal task-force officer with a local login): policy treats every request of the
    user as made for that agency, and the user as of its class — and also as of its own
    agency's class: an owner is allowed only if both allow, so acting for another agency
    only ever narrows what a user may see."""

    user_id: int
    username: str
    agency_id: int
    agency_kind: str
    agency_home_state: str
    roles: frozenset[str]
    acting_for_id: int | None = None
    node: str | None = None
    """The partner node a remote user's request came through (`plateledger.access.federated
    .remote_principal`); ``None`` for a user of this node."""

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class KeyPrincipal:
    """A camera or agent holding a valid API key of ``agency_id`` (limited to
    ``camera_id`` when the key was issued for one camera)."""

    agency_id: int
    camera_id: str | None
    key_prefix: str


@dataclass(frozen=True)
class IssuedToken:
    """A bearer token as handed to the user once, and when it stops working."""

    raw: str
    expires_at: datetime
