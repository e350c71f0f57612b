"""API fixtures: a real app (lifespan included) over a SQLite catalog seeded with two
agencies, their admins, and an investigator and an auditor with a second factor (every
role that reaches reads or audit contents needs one).

Users are seeded with cheap argon2 parameters; the hash carries them, so the server
verifies them quickly while hashing new passwords at the production cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from plateledger.api.app import create_app
from plateledger.catalog import Catalog, new_totp_secret, open_catalog, totp_code
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Seed:
    ucpd_id: int
    fpd_id: int
    investigator_totp: str
    auditor_totp: str


@pytest.fixture
def settings(tmp_path: Path, store_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", store_path=store_path, secret_key="k" * 32,
        require_totp=True,
    )


def refuse_entries(engine: Engine) -> None:
    """From now on the log still reads but refuses every new entry: a trigger aborts the
    insert, as a full disk or a revoked grant would (SQLite)."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse_entries BEFORE INSERT ON audit_entries "
                          "BEGIN SELECT RAISE(ABORT, 'the log refuses entries'); END"))


@contextmanager
def catalog_of(settings: Settings) -> Iterator[Catalog]:
    """The catalog of ``settings`` opened beside the app (to seed it, or change it under
    the app; passwords hashed cheaply), and closed after."""
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        yield catalog
    finally:
        catalog.close()


@pytest.fixture
def seed(settings: Settings) -> Seed:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA",
                                  retention_nonhit_days=60)
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        secret, auditor = new_totp_secret(), new_totp_secret()
        catalog.add_user(ucpd.id, "ucpd-admin", PASSWORD, ["admin"])
        catalog.add_user(fpd.id, "fpd-admin", PASSWORD, ["admin"])
        catalog.add_user(ucpd.id, "ivy", PASSWORD, ["investigator"], totp_secret=secret)
        catalog.add_user(ucpd.id, "audrey", PASSWORD, ["auditor"], totp_secret=auditor)
        return Seed(ucpd.id, fpd.id, secret, auditor)
    finally:
        catalog.close()


@pytest.fixture
def fay(settings: Settings, seed: Seed) -> str:
    """Fremont's auditor (a second factor, as every auditor has); her one-time secret."""
    secret = new_totp_secret()
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.add_user(seed.fpd_id, "fay", PASSWORD, ["auditor"], totp_secret=secret)
    finally:
        catalog.close()
    return secret


@pytest.fixture
def client(settings: Settings, seed: Seed) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def code(secret: str) -> str:
    """The current one-time code of ``secret`` (one login per user per 30 s step)."""
    return totp_code(secret, datetime.now(UTC))


def login(client: TestClient, username: str, totp: str | None = None) -> dict[str, str]:
    """Authorization headers of a fresh login of ``username``."""
    response = client.post(
        "/v1/auth/token", json={"username": username, "password": PASSWORD, "totp": totp}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def login_once(client: TestClient, username: str, secrets: dict[str, str],
               tokens: dict[str, dict[str, str]]) -> dict[str, str]:
    """Headers of ``username``, logged in once and kept in ``tokens`` (a one-time code
    serves once); ``secrets`` holds the one-time-code secrets of users who have one."""
    if username not in tokens:
        secret = secrets.get(username)
        tokens[username] = login(
            client, username, totp_code(secret, datetime.now(UTC)) if secret else None)
    return tokens[username]


def add_staff(catalog: Catalog, agency_id: int, slug: str, roles: Mapping[str, list[str]],
              secrets: dict[str, str]) -> None:
    """A user ``SLUG-SUFFIX`` for each of ``roles`` (suffix to role names) in the agency;
    every one but ``SLUG-admin`` has a one-time-code secret, kept in ``secrets``."""
    for suffix, granted in roles.items():
        secret = None if suffix == "admin" else new_totp_secret()
        catalog.add_user(agency_id, f"{slug}-{suffix}", PASSWORD, granted, totp_secret=secret)
        if secret:
            secrets[f"{slug}-{suffix}"] = secret


def add_agencies(
    catalog: Catalog, agencies: Iterable[tuple[str, str, str, str]],
    roles: Mapping[str, list[str]], secrets: dict[str, str], *, at: tuple[float, float],
    **settings: Any,
) -> dict[str, int]:
    """Each agency of ``agencies`` (slug, name, kind, state, with ``settings``), its staff
    (`add_staff`) and one camera ``SLUG-cam-1`` placed ``at``; their ids by slug."""
    ids: dict[str, int] = {}
    for slug, name, kind, state in agencies:
        agency = catalog.add_agency(name, slug, kind, state, **settings)
        ids[slug] = agency.id
        add_staff(catalog, agency.id, slug, roles, secrets)
        catalog.add_camera(f"{slug}-cam-1", agency.id, lat=at[0], lon=at[1])
    return ids


@dataclass
class AgencyWorld:
    """The real app (``client``) over agencies `add_agencies` made (``ids`` by slug,
    ``secrets`` their staff's one-time-code secrets), each user logged in once."""

    client: TestClient
    settings: Settings
    ids: dict[str, int]
    secrets: dict[str, str]
    tokens: dict[str, dict[str, str]] = field(default_factory=dict, init=False)

    def login(self, username: str) -> dict[str, str]:
        """Headers of ``username``, logged in once (a one-time code serves once)."""
        return login_once(self.client, username, self.secrets, self.tokens)
