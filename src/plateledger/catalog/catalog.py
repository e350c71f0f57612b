"""`Catalog`: the one facade the rest of the system uses, and `open_catalog`."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from argon2 import PasswordHasher

from plateledger.catalog.accounts import AccountRecords
from plateledger.catalog.agencies import AgencyRecords
from plateledger.catalog.apikeys import KeyRecords
from plateledger.catalog.database import catalog_engine
from plateledger.catalog.errors import CatalogError
from plateledger.catalog.ingest_urls import IngestUrlRecords
from plateledger.catalog.passwords import STANDARD
from plateledger.catalog.schema import upgrade
from plateledger.catalog.sharing import SharingRecords
from plateledger.catalog.zones import ZoneRecords


class Catalog(
    AgencyRecords, AccountRecords, KeyRecords, SharingRecords, ZoneRecords, IngestUrlRecords
):
    """Agencies, cameras, users, tokens, API keys, agreements, declarations and
    collection zones.

    Thread-safe; every method uses its own short transaction. Returned rows are detached
    snapshots. ``engine`` is shared with the audit log, legal holds and hot lists, whose
    tables the same migrations keep.
    """


class CatalogSettings(Protocol):
    """What `open_catalog` reads of the server's settings (`plateledger.settings.Settings`
    has all of it; the catalog does not depend on the rest)."""

    @property
    def environment(self) -> str: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def catalog_url(self) -> str | None: ...
    @property
    def catalog_database_url(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def token_ttl_minutes(self) -> int: ...
    @property
    def require_totp(self) -> bool: ...


def open_catalog(
    settings: CatalogSettings, *, password_hasher: PasswordHasher | None = None
) -> Catalog:
    """Open the catalog at ``settings.catalog_database_url``, creating or upgrading its
    schema first. ``password_hasher`` is for tests only (a cheaper argon2id); the default
    is `STANDARD`."""
    if settings.environment == "production" and not settings.require_totp:
        raise CatalogError(
            "a production server requires a second factor: unset PLATELEDGER_REQUIRE_TOTP"
        )
    url = settings.catalog_database_url
    if url.startswith("sqlite") and settings.catalog_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = catalog_engine(url)
    upgrade(engine)
    return Catalog(
        engine,
        secret_key=settings.secret_key,
        token_ttl_minutes=settings.token_ttl_minutes,
        require_totp=settings.require_totp,
        password_hasher=password_hasher or STANDARD,
    )
