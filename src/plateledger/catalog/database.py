"""`CatalogDatabase`: the engine, short-lived sessions and the generation counter that
every part of the `Catalog` shares.

SQLite runs in WAL mode with a busy timeout and foreign keys on, so that the server and
the ``plateledger admin`` command can share one file; PostgreSQL is used as given.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from plateledger.catalog.models import Generation
from plateledger.catalog.principals import KeyPrincipal
from plateledger.catalog.totp import SecretBox, derived_key

SQLITE_BUSY_TIMEOUT_MS = 30_000
KEY_CACHE_SECONDS = 30.0
"""How long a verified API key is trusted without asking the database again."""
GENERATION_CHECK_SECONDS = 2.0
"""How often a cached key checks the generation, to see changes made by other processes."""

_CHANGE: ContextVar[tuple[int, Session] | None] = ContextVar("catalog_change", default=None)
"""The session of the `CatalogDatabase.change` in progress (in this context), by catalog."""


def catalog_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite (WAL, busy timeout, foreign keys) or any other URL."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_GENERATION = select(Generation.value).where(Generation.id == 1)


class CatalogDatabase:
    """The plumbing under the `Catalog`. Safe to share between threads: each call opens
    its own short session."""

    def __init__(
        self,
        engine: Engine,
        *,
        secret_key: str,
        token_ttl_minutes: int,
        require_totp: bool,
        password_hasher: PasswordHasher,
    ) -> None:
        self.engine = engine
        self.token_ttl_minutes = token_ttl_minutes
        self.require_totp = require_totp
        self.password_hasher = password_hasher
        self._secrets = SecretBox(secret_key)
        self.page_token_key = derived_key(secret_key, b"plateledger search page tokens")
        """Signs the page tokens of searches (`plateledger.access.continuation`)."""
        self._new_session = sessionmaker(engine, expire_on_commit=False)
        self._cache_lock = threading.Lock()
        self._key_cache: dict[str, tuple[KeyPrincipal, float]] = {}
        self._cache_epoch = 0
        self._cached_generation = -1
        self._generation_checked = 0.0
        self.generation_check_seconds = GENERATION_CHECK_SECONDS

    def _change_session(self) -> Session | None:
        found = _CHANGE.get()
        return found[1] if found is not None and found[0] == id(self) else None

    def _sessions(self) -> AbstractContextManager[Session]:
        """A short session for reads; inside `change`, the change's own session (so a
        change reads what it wrote)."""
        within = self._change_session()
        return nullcontext(within) if within is not None else self._new_session()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.
        Inside `change`, the change's transaction (flushed, committed with it)."""
        within = self._change_session()
        if within is not None:
            yield within
            within.flush()
            return
        with self._new_session() as session, session.begin():
            yield session

    @contextmanager
    def change(self) -> Iterator[Session]:
        """One transaction around several catalog calls and whatever else is written on
        its connection (``session.connection()``: an audit entry, say): committed together
        when the block ends, rolled back together when it raises. Changes do not nest."""
        if self._change_session() is not None:
            raise RuntimeError("a catalog change is already in progress")
        with self._new_session() as session, session.begin():
            token = _CHANGE.set((id(self), session))
            try:
                yield session
            finally:
                _CHANGE.reset(token)

    def note_change(self, session: Session) -> None:
        """Count a change made in ``session``'s transaction (by code outside the catalog's
        own methods, such as the partner-node registry), so that what is kept per
        generation is read again."""
        self._bump(session)

    def _bump(self, session: Session) -> None:
        """Count one change (in ``session``'s transaction) and forget cached keys."""
        session.execute(
            update(Generation).where(Generation.id == 1).values(value=Generation.value + 1)
        )
        self._forget_keys()

    def generation(self) -> int:
        """The catalog generation: it grows with every change to agencies, users, cameras,
        keys, agreements, declarations or partner nodes (by this process or any other).
        Read on a bare connection (a third of an ORM session's cost: it is read several
        times per search), or in the change under way."""
        within = self._change_session()
        if within is not None:
            value = within.scalar(_GENERATION)
        else:
            with self.engine.connect() as conn:
                value = conn.execute(_GENERATION).scalar()
        return int(value or 0)

    def _forget_keys(self) -> None:
        with self._cache_lock:
            self._key_cache.clear()
            self._cache_epoch += 1

    def _cached_key(self, key_digest: str) -> KeyPrincipal | None:
        now = time.monotonic()
        if now - self._generation_checked >= self.generation_check_seconds:
            current = self.generation()
            with self._cache_lock:
                self._generation_checked = now
                if current != self._cached_generation:
                    self._cached_generation = current
                    self._key_cache.clear()
                    self._cache_epoch += 1
        with self._cache_lock:
            hit = self._key_cache.get(key_digest)
            if hit is None or hit[1] < now:
                return None
            return hit[0]

    def _cache_epoch_now(self) -> int:
        with self._cache_lock:
            return self._cache_epoch

    def _remember_key(self, key_digest: str, principal: KeyPrincipal, epoch: int) -> None:
        """Cache ``principal`` unless the cache was cleared since ``epoch`` (a revocation
        may have raced with the lookup)."""
        with self._cache_lock:
            if epoch == self._cache_epoch:
                self._key_cache[key_digest] = (principal, time.monotonic() + KEY_CACHE_SECONDS)

    def close(self) -> None:
        """Release the connections. The catalog must not be used afterwards."""
        self._forget_keys()
        self.engine.dispose()
