"""Building reads for tests (real models, real validation)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from plateledger.audit import AuditLog
from plateledger.audit.entry import rfc3339
from plateledger.read import PlateRead, ReadSubmission


def make_read(
    plate: str,
    *,
    camera: str = "cam-1",
    owner: int = 1,
    state: str = "CA",
    minutes_ago: float = 1.0,
    keep_days: float = 30.0,
    lat: float | None = 37.59,
    lon: float | None = -122.04,
    now: datetime | None = None,
    **fields: object,
) -> PlateRead:
    now = now or datetime.now(UTC)
    ts = now - timedelta(minutes=minutes_ago)
    sub = ReadSubmission.model_validate(
        {"camera_id": camera, "ts": ts, "plate": plate, "confidence": 0.9,
         "lat": lat, "lon": lon, **fields}
    )
    return PlateRead.from_submission(
        sub,
        owner_id=owner,
        origin_state=state,
        received_at=now,
        expires_at=ts + timedelta(days=keep_days),
    )


def unique_plate(prefix: str = "7") -> str:
    """A plate no other test uses (the chDB store is shared by the session)."""
    return prefix + uuid.uuid4().hex[:6].upper().replace("0", "A").replace("O", "B")


PERIODS_END = datetime(2100, 1, 1, tzinfo=UTC)
"""A moment after the end of every publication period a test holds entries for."""


def withheld_entries(audit: AuditLog, since: int = 0) -> list[dict[str, Any]]:
    """The ``alert_withheld`` entries of ``audit`` from index ``since``, once every entry
    held for the end of its period is appended (as when its period has ended)."""
    audit.release_held(PERIODS_END)
    entries = [r.entry for r in audit.entries(since, audit.size() - since)]
    return [e for e in entries if e["type"] == "alert_withheld"]


def period_stamp(until: datetime) -> str:
    """The time a held entry due at ``until`` is appended with: its period's last
    millisecond (RFC 3339)."""
    return rfc3339(until - timedelta(milliseconds=1))

