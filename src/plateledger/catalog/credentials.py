"""Raw API keys and bearer tokens: how they look, and the only form in which they are kept.

An API key is ``plk_<prefix>_<secret>``: the prefix is public (shown in listings and logs);
only the SHA-256 of the secret is stored. A bearer token is ``plt_<secret>``; only its
SHA-256 is stored. Both secrets carry 256 bits of entropy, so an unsalted hash suffices.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_SCHEME = "plk"
TOKEN_SCHEME = "plt"
_PREFIX_BYTES = 6


@dataclass(frozen=True)
class RawKey:
    """A key split into its public prefix and its secret."""

    prefix: str
    secret: str

    def __str__(self) -> str:
        return f"{KEY_SCHEME}_{self.prefix}_{self.secret}"


def new_api_key() -> RawKey:
    return RawKey(secrets.token_hex(_PREFIX_BYTES), secrets.token_urlsafe(32))


def parse_api_key(raw: str) -> RawKey | None:
    """The parts of ``raw``, or ``None`` when it is not shaped like a key."""
    scheme, _, rest = raw.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or len(prefix) != 2 * _PREFIX_BYTES or not secret:
        return None
    if any(c not in "0123456789abcdef" for c in prefix) or len(secret) > 128:
        return None
    return RawKey(prefix, secret)


def digest(secret: str) -> str:
    """The hex SHA-256 of ``secret``: what the catalog stores."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, stored: str) -> bool:
    """Whether ``secret`` hashes to ``stored``, compared in constant time."""
    return hmac.compare_digest(digest(secret), stored)


def new_token() -> str:
    return f"{TOKEN_SCHEME}_{secrets.token_urlsafe(32)}"
