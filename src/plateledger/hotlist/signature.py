"""Webhook signatures: HMAC-SHA256 over the timestamp and the body.

``X-Plateledger-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
A receiver recomputes ``v1`` over the exact bytes it received, compares in constant time
and refuses a timestamp older than its tolerance (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Plateledger-Signature"
DELIVERY_HEADER = "X-Plateledger-Delivery"
EVENT_HEADER = "X-Plateledger-Event"
DEFAULT_TOLERANCE = 300
"""Seconds a receiver should accept a signature for."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of ``X-Plateledger-Signature`` for ``body``, signed now or at ``timestamp``."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={sign(secret, moment, body)}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: int | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:  # fmt: skip
    """Whether ``header`` signs ``body`` under ``secret`` within ``tolerance`` seconds."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    moment = int(time.time()) if now is None else now
    if abs(moment - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))
