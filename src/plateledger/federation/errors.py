"""Why a node request is refused.

``FederationError`` carries an HTTP ``status``, a ``code`` and a message naming what was
wrong — never anything of the data asked for::

    FederationError
    └── RequestRefused   a signed request that fails verification (401, 403)
"""

from __future__ import annotations

__all__ = ["FederationError", "RequestRefused"]


class FederationError(Exception):
    """A node key, registration or request that cannot be used."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status


class RequestRefused(FederationError):
    """A node request refused before anything is looked up: unsigned, badly signed,
    stale, replayed, from an unknown or revoked key, or for an agency the node is not
    registered for."""

    status = 401
