"""One typed settings object, passed explicitly to whatever needs it (never a global)."""

from __future__ import annotations

from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "development-only-secret-do-not-use"


class Settings(BaseSettings):
    """Settings read from ``PLATELEDGER_*`` environment variables or given directly."""

    model_config = SettingsConfigDict(env_prefix="PLATELEDGER_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default=Path("data"), description="store, catalog, keys, images")
    store_url: str | None = Field(
        default=None,
        description="clickhouse://user:pass@host:8123/db; default: embedded chDB under data_dir",
    )
    store_path: Path | None = Field(
        default=None, description="embedded store directory; default: <data_dir>/store"
    )
    catalog_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite under data_dir"
    )
    images_url: str | None = Field(
        default=None,
        description="s3://bucket/prefix?endpoint=URL&region=R for plate crops in an "
                    "S3-compatible bucket; default: files under <data_dir>/images",
    )
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = Field(
        default=None,
        description="this node's URL as its partner nodes register it (`plateledger node "
        "add NAME --url URL`): a partner's signed request is accepted only if signed for "
        "its authority (host, and port unless the default); default: http://HOST:PORT",
    )
    secret_key: str = DEV_SECRET
    token_ttl_minutes: int = 8 * 60
    require_totp: bool = True

    ingest_batch_reads: int = Field(
        default=1_000, ge=1,
        description="reads enough to write at once (group commit); reads arriving while a "
        "batch is written gather for the next",
    )
    ingest_batch_seconds: float = Field(
        default=0.2, gt=0, le=1.0,
        description="longest a read waits to be written with others (group commit)",
    )
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    purge_every_minutes: float = Field(default=15.0, gt=0, description="retention purge interval")
    audit_origin: str = Field(
        default="plateledger.local/audit",
        description="the log's name in its signed checkpoints (use your own domain)",
    )
    recognizer_engine: str = Field(default="rapidocr", description="plate recognition engine")
    partitioning: Literal["month", "week", "day"] = "month"
    alarm_window_seconds: float = Field(
        default=60.0, gt=0, description="sliding window of the denial alarms and throttle"
    )
    alarm_denials: int = Field(
        default=10, ge=1, description="denied accesses of one user in the window: an alarm"
    )
    throttle_denials: int = Field(
        default=20, ge=1, description="denied accesses of one user in the window: 429s"
    )
    node_throttle_denials: int = Field(
        default=100, ge=1,
        description="denied accesses of all the users of one partner node in the window: "
        "429s for every user of that node",
    )
    reports_schedule: bool = Field(
        default=True,
        description="the server writes each agency's statutory reports as they fall due",
    )
    reports_dir: Path | None = Field(
        default=None, description="where the scheduled reports go; default: <data_dir>/reports"
    )
    reports_every_minutes: float = Field(
        default=60.0, gt=0, description="how often the server looks for reports that are due"
    )
    reports_first_minutes: float = Field(
        default=1.0,
        ge=0,
        description="how soon after the server starts it first looks for reports that are due",
    )
    transparency_cache_seconds: float = Field(
        default=30.0,
        ge=0,
        description="how long a public portal or on-demand report answer is reused while the "
        "audit log and the catalog are unchanged; 0: never",
    )
    federation_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        description="how long a search waits for the partner nodes it is sent to; a node "
        "that has not answered by then is listed unavailable",
    )
    witness_every_minutes: float = Field(
        default=5.0,
        gt=0,
        description="how often the server sends its latest checkpoint to its partner nodes' "
        "witnesses and keeps their cosignatures (cross-witnessing), the first time one "
        "interval after start",
    )
    hotlist_max_entries: int = Field(
        default=5_000_000, ge=1,
        description="the most entries an agency's hot lists may hold in all; an import or "
        "an added entry past it is refused (422 list_too_large) and nothing is stored",
    )
    hit_retention_days: int = Field(
        default=365, ge=1, le=3650,
        description="how long a hot-list hit is kept (never past its read owner's own clock "
        "for hits, counted from the read's moment)",
    )
    withheld_publish_seconds: int = Field(
        default=86_400, ge=1, le=31 * 86_400,
        description="the period whose withheld hot-list hits are appended to the audit log "
        "together at its end (periods counted from the Unix epoch: the default day ends at "
        "UTC midnight), so that the log does not tell when a withheld hit happened",
    )
    webhook_networks: str = Field(
        default="",
        description="networks (CIDR, comma-separated) hot-list webhooks may post to besides "
        "public addresses, such as a dispatch system at 10.20.0.0/16; loopback, link-local "
        "(cloud metadata) and private addresses are refused otherwise",
    )
    pmtiles_path: Path | None = Field(
        default=None,
        description="a PMTiles file (e.g. cut from an OpenStreetMap extract) that the map "
                    "workspace draws under its own layers; default: none",
    )

    @field_validator("webhook_networks")
    @classmethod
    def _webhook_networks(cls, value: str) -> str:
        """Each named network is CIDR (a host address is a network of one): refused at
        start, not found out at the first webhook."""
        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(f"webhook_networks: `{part[:64]}` is not a network "
                                     "(CIDR such as 10.20.0.0/16)") from None
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        """A node's URL is http(s) with a host and, if any, a numeric port: its authority
        is what partners sign their requests for, so a URL without one is refused at
        start, not found out at the first partner's request."""
        if value is None:
            return None
        split = urlsplit(value)
        try:
            split.port  # noqa: B018 - raises for a port that is not a number
        except ValueError:
            raise ValueError(f"public_url `{value}` has no valid port") from None
        if split.scheme not in ("http", "https") or not split.hostname or split.username:
            raise ValueError(f"public_url `{value}` is not http(s)://host[:port]")
        return value

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("set PLATELEDGER_SECRET_KEY: the default secret is for development")
        return self

    @property
    def node_url_unknown(self) -> bool:
        """Whether this node has no URL a partner could sign for: no `public_url`, and
        served on a wildcard address (``0.0.0.0``, ``::``), which names no host."""
        if self.public_url:
            return False
        try:
            return ip_address(self.host.strip("[]")).is_unspecified
        except ValueError:
            return self.host.strip() == ""

    @property
    def node_url(self) -> str:
        """This node's URL as its partners register it: `public_url`, or the address it
        is served at (which a wildcard address such as ``0.0.0.0`` is not)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return self.public_url or f"http://{host}:{self.port}"

    @property
    def store_dir(self) -> Path:
        return self.store_path or self.data_dir / "store"

    @property
    def catalog_database_url(self) -> str:
        if self.catalog_url:
            return self.catalog_url
        return f"sqlite:///{(self.data_dir / 'catalog.sqlite').resolve()}"

    @property
    def reports_folder(self) -> Path:
        return self.reports_dir or self.data_dir / "reports"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

