"""Plates shown to people as keyed tokens: an HMAC-SHA256 of the plate under the server's
secret key, so that two searches of one plate are seen to match without showing it."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["plate_token"]


def plate_token(key: str, plate: str) -> str:
    """The token of ``plate`` under ``key`` (16 hex digits, prefixed ``pt_``)."""
    digest = hmac.new(key.encode(), b"plate-token\x00" + plate.strip().upper().encode(),
                      hashlib.sha256).hexdigest()
    return "pt_" + digest[:16]
