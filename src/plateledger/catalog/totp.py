"""TOTP second factor (RFC 6238, via pyotp), with the secret encrypted at rest.

The secret is encrypted with a Fernet key derived from ``Settings.secret_key``: changing
that key makes every enrolled second factor unreadable (users must enrol again).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

STEP_SECONDS = 30
ISSUER = "plateledger"


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret to show the user once (as a QR code or text)."""
    return str(pyotp.random_base32())


def totp_uri(username: str, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER))


def totp_code(secret: str, at: datetime) -> str:
    """The code for ``secret`` at ``at`` (what an authenticator app shows)."""
    return str(pyotp.TOTP(secret).at(at))


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code equals ``code`` (one step of clock drift allowed either
    way), or ``None``."""
    totp = pyotp.TOTP(secret)
    step = int(at.timestamp()) // STEP_SECONDS
    candidate = code.strip()
    for offset in (0, -1, 1):
        expected = str(totp.generate_otp(step + offset))
        if pyotp.utils.strings_equal(expected, candidate):
            return step + offset
    return None


def derived_key(secret_key: str, purpose: bytes) -> bytes:
    """A 32-byte key for one ``purpose``, derived from the server's ``secret_key`` (HKDF)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        hashlib.sha256(secret_key.encode()).digest())


class SecretBox:
    """Encrypts and decrypts TOTP secrets with a key derived from ``secret_key``."""

    def __init__(self, secret_key: str) -> None:
        raw = derived_key(secret_key, b"plateledger totp secrets")
        self._fernet = Fernet(base64.urlsafe_b64encode(raw))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The secret, or ``None`` when it was sealed under another key."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken:
            return None
