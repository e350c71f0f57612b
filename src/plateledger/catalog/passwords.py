"""Password hashing with argon2id (argon2-cffi).

`STANDARD` is the production cost (RFC 9106's second recommended option); `FAST` exists
only so that tests run quickly and must never be used for real accounts. A hash records
its own parameters, so a hash made at either cost verifies under either hasher.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

STANDARD = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4, type=Type.ID)
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)

MIN_PASSWORD_LENGTH = 12


def check_password_rules(password: str) -> None:
    """Raise ``ValueError`` for a password too short to keep."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def verify_password(hasher: PasswordHasher, encoded: str, password: str) -> bool:
    """Whether ``password`` matches ``encoded``; a malformed hash never matches."""
    try:
        return hasher.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False
