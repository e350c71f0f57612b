"""Errors of the catalog.

::

    CatalogError              anything the catalog refuses
    ├── NotFound              no such agency, user, camera, key or agreement
    ├── Conflict              a unique name (slug, username, camera id) is taken
    └── AuthError             a login failed; never says which part was wrong
        ├── AccountLocked     too many failed logins: locked until ``until``
        └── SecondFactorMissing  right password, but the roles need a second factor that
                              was never enrolled
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


class SecondFactorMissing(AuthError):
    """The password was right, but the account's roles need a second factor and none is
    enrolled: no token until an administrator enrols one. Said only after the password
    checked out, so it tells nobody without the password anything."""

    def __init__(self, username: str) -> None:
        super().__init__(
            f"account `{username}` has no second factor enrolled and its roles need one: "
            "ask an administrator to enrol one (`plateledger admin enroll-totp`)"
        )


class AccountLocked(AuthError):
    """Too many failed logins: the account refuses logins until ``until`` (UTC)."""

    def __init__(self, until: datetime) -> None:
        super().__init__("the account is locked after too many failed logins; try again later")
        self.until = until
