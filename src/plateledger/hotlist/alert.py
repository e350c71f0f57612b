"""``Alert``: a delivered hit, as every channel (SSE, webhook, MQTT, the API) carries it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AlertRead(BaseModel):
    """The read that matched (what the list owner is allowed to see of it)."""

    model_config = ConfigDict(frozen=True)

    read_id: str
    owner_id: int
    camera_id: str
    ts: datetime
    plate: str
    region: str
    lat: float | None = None
    lon: float | None = None


class Alert(BaseModel):
    """One hit delivered to the owner of a list."""

    model_config = ConfigDict(frozen=True)

    hit_id: str
    created_at: datetime
    list_id: int
    list_owner_id: int
    entry_id: int
    category: str
    match_kind: str = Field(description="exact, confusable or one_edit")
    plate_listed: str
    region_listed: str
    region_mismatch: bool = Field(description="read and list both name a state, and differ")
    priority: int
    reason: str
    case_number: str
    read: AlertRead
    audit_index: int | None = None


class HitRecord(Alert):
    """A stored hit: the alert and its disposition, if recorded."""

    disposition: str | None = None
    action: str | None = None
    disposed_by: str | None = None
    disposed_at: datetime | None = None
    disposition_note: str | None = None
    expires_at: datetime
