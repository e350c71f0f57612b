"""The catalog's tables as typed SQLAlchemy 2 ORM classes.

Instances the `Catalog` returns are detached snapshots: read them, never change them; every
change goes through a `Catalog` method, which also bumps the catalog `Generation`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plateledger.catalog.timeutil import UTCDateTime, utc_now

AGENCY_KINDS = frozenset({"municipal", "county", "state", "federal", "tribal", "private"})
ROLES = frozenset({"admin", "investigator", "supervisor", "auditor", "dispatcher"})
CAMERA_KINDS = frozenset({"fixed", "mobile"})
SHARING_PRESETS = frozenset({
    "none", "agreements", "in_state", "named_states", "similar_law", "radius",
})
"""How an agency may share by default (the policy compiles each; `policy.PresetKind`)."""
ZONE_PLACES = frozenset({
    "school", "place_of_worship", "courthouse", "food_bank", "immigration_facility",
    "health_care", "shelter", "other",
})
"""The kinds of place a collection zone covers."""
WA_SENSITIVE_PLACES = frozenset({
    "school", "place_of_worship", "courthouse", "food_bank", "immigration_facility",
})
"""The sensitive locations of Washington SB 6002 (2026): an agency under the WA pack
records them, and the pack's rule (`WA_SENSITIVE_LOCATION_RULE`) applies to them."""
WA_SENSITIVE_LOCATION_RULE = "wa-sb6002-sensitive-location"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Generation(Base):
    """One row (``id = 1``) whose ``value`` every catalog change increments."""

    __tablename__ = "catalog_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Agency(Base):
    """An agency: owner of reads and cameras, and a requester of a fixed class.

    ``kind`` and ``home_state`` are the requester class the law packs ask about; only an
    administrator of the platform sets them (the CLI), never a request.
    """

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    home_state: Mapped[str] = mapped_column(String(2), nullable=False)
    jurisdiction: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    law_packs: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    purposes: Mapped[list[str] | None] = mapped_column(
        JSON, nullable=True, comment="published purposes; null: the law pack's default"
    )
    case_number_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    custodian_contact: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    retention_nonhit_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retention_hit_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retention_image_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_law_enforcement: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True, comment="seat, latitude")
    lon: Mapped[float | None] = mapped_column(Float, nullable=True, comment="seat, longitude")
    sharing_preset: Mapped[str] = mapped_column(
        String(16), nullable=False, default="agreements", server_default="agreements",
        comment="how the agency shares by default (policy.PresetKind)",
    )
    sharing_states: Mapped[list[str] | None] = mapped_column(
        JSON, nullable=True, comment="the states a named_states preset admits"
    )
    sharing_radius_km: Mapped[float | None] = mapped_column(
        Float, nullable=True, comment="the radius a radius preset admits"
    )
    timezone: Mapped[str | None] = mapped_column(
        String(64), nullable=True,
        comment="IANA time zone of the agency's reports; null: derived from home_state",
    )
    portal_officer_names: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false(),
        comment="whether the public page names the officers who searched",
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)


class User(Base):
    """An individual account of one agency. No shared accounts: one person, one login."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    roles: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    acting_for_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id"), nullable=True,
        comment="the agency this user acts for (set by an administrator)",
    )
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    totp_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    totp_last_step: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, comment="last accepted TOTP time step (no replay)"
    )
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

    def __repr__(self) -> str:  # never the hashes or the secret
        return f"User(id={self.id!r}, username={self.username!r}, agency_id={self.agency_id!r})"


class Camera(Base):
    """A camera, fixed (with a position) or mobile, owned by one agency."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    heading: Mapped[float | None] = mapped_column(Float, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)


class ApiKey(Base):
    """A key for a camera or agent: the public ``prefix`` and the SHA-256 of the secret."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    camera_id: Mapped[str | None] = mapped_column(
        ForeignKey("cameras.camera_id"), nullable=True
    )
    label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def __repr__(self) -> str:
        return f"ApiKey(prefix={self.prefix!r}, agency_id={self.agency_id!r})"


class IngestUrl(Base):
    """An ingest-only credential carried in a URL, for clients that cannot send a key
    header (OpenALPR's ``alprd``): scoped to one camera of one agency; only the SHA-256 of
    its secret is kept."""

    __tablename__ = "ingest_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.camera_id"), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Token(Base):
    """A user's bearer token: only its SHA-256 is kept."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AgreementRow(Base):
    """A sharing agreement: ``owner`` lets ``recipient`` run ``actions`` on its data, for
    ``purposes``, within the limits here, from ``starts_at`` until expiry or revocation."""

    __tablename__ = "agreements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id"), nullable=False, index=True
    )
    actions: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    purposes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    max_lookback_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    case_number_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    result_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    images_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

    def in_force(self, at: datetime) -> bool:
        """Whether the agreement applies at ``at`` (aware): started, not expired, not
        revoked."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        if self.expires_at is not None and self.expires_at <= at:
            return False
        return self.starts_at <= at


class DeclarationRow(Base):
    """A written declaration an out-of-state agency signed to receive an owner state's
    data (625 ILCS 5/2-130): who signed, when, for which agency, and the document's digest."""

    __tablename__ = "declarations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    owner_state: Mapped[str] = mapped_column(String(2), nullable=False)
    signer: Mapped[str] = mapped_column(String(200), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    document_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginThrottle(Base):
    """Failed logins of one username from one source address, and how long that source
    must wait before the next try (back-off per user and source, never a lock-out)."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)


class Zone(Base):
    """A collection zone of one agency: no camera of the agency may be registered inside
    it and no read placed inside it is kept. A circle (``centre_lat``, ``centre_lon``,
    ``radius_m``) or a polygon (``polygon``: ``[[lat, lon], …]``); ``rule_id`` names the
    rule that made it (``agency-zone-<id>``, or a law pack's, as
    ``wa-sb6002-sensitive-location``)."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    place: Mapped[str] = mapped_column(String(32), nullable=False, comment="kind of place")
    centre_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    centre_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    radius_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    polygon: Mapped[list[list[float]] | None] = mapped_column(
        JSON, nullable=True, comment="[[lat, lon], ...]; null for a circle"
    )
    rule_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Node(Base):
    """A partner plateledger node: its name, URL, Ed25519 public key (raw, base64) and
    key id, and the owner agencies (slugs of this catalog's agencies) it answers for.
    Registered out of band by an operator; a revoked node is refused at once."""

    __tablename__ = "nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    url: Mapped[str] = mapped_column(String(300), nullable=False)
    public_key: Mapped[str] = mapped_column(String(64), nullable=False)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    agencies: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # cross-witnessing (migration 0023_node_log_keys): the partner's audit log's note
    # verifier key (its name is the log's origin), and its witness's cosigner key
    log_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    witness_key: Mapped[str | None] = mapped_column(String(300), nullable=True)


class NodeNonce(Base):
    """A signed node request's nonce, seen at ``seen_at``: a second request with the same
    key id and nonce is a replay. Rows older than the signature window are purged."""

    __tablename__ = "node_nonces"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
