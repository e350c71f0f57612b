"""Errors of the catalog.

::

    CatalogError              anything the catalog refuses
    ├── NotFound              no such agency, user, camera, key or agreement
    ├── Conflict              a unique name (slug, username, camera id) is taken
    └── AuthError             a login failed; never says which part was wrong
        └── AccountLocked     too many failed logins: locked until ``until``
"""

from __future__ import annotations

from datetime import datetime


class CatalogError(Exception):
    """The catalog refused a request; the message is safe to show to the requester."""


class NotFound(CatalogError):
    """The thing named does not exist (or is not visible to the requester)."""


class Conflict(CatalogError):
    """A unique name is already taken."""


class AuthError(CatalogError):
    """A login failed. The message never says whether the username, password or code was
    wrong."""

    def __init__(self, message: str = "the username, password or one-time code is not right"):
        super().__init__(message)


class AccountLocked(AuthError):
    """Too many failed logins: the account refuses logins until ``until`` (UTC)."""

    def __init__(self, until: datetime) -> None:
        super().__init__("the account is locked after too many failed logins; try again later")
        self.until = until
