"""API keys of cameras and agents: issued once, kept as a hash, revocable.

Verifying a key is on the ingest hot path: a verified key is remembered in memory for
`KEY_CACHE_SECONDS`; any change made through this catalog forgets every cached key at once,
and a change made by another process (``plateledger admin key revoke``) is seen within
`GENERATION_CHECK_SECONDS`, when the cache next compares the catalog generation.
"""

from __future__ import annotations

from sqlalchemy import select

from plateledger.catalog import credentials
from plateledger.catalog.database import CatalogDatabase
from plateledger.catalog.errors import CatalogError, NotFound
from plateledger.catalog.models import Agency, ApiKey, Camera
from plateledger.catalog.principals import KeyPrincipal
from plateledger.catalog.timeutil import utc_now


class KeyRecords(CatalogDatabase):
    """API keys of the `Catalog`."""

    def issue_api_key(self, agency_id: int, camera_id: str | None = None, label: str = "") -> str:
        """A new key for agency ``agency_id`` (limited to one of its cameras when
        ``camera_id`` is given). The raw key is returned here once and never stored."""
        raw = credentials.new_api_key()
        with self._transaction() as session:
            if session.get(Agency, agency_id) is None:
                raise NotFound(f"no agency `{agency_id}`")
            if camera_id is not None:
                camera = session.scalar(select(Camera).where(Camera.camera_id == camera_id))
                if camera is None or camera.owner_id != agency_id:
                    raise NotFound(f"agency `{agency_id}` has no camera `{camera_id}`")
            session.add(
                ApiKey(
                    prefix=raw.prefix, secret_hash=credentials.digest(raw.secret),
                    agency_id=agency_id, camera_id=camera_id, label=label,
                )
            )
            self._bump(session)
        return str(raw)

    def authenticate_api_key(self, raw: str) -> KeyPrincipal | None:
        """Who holds ``raw``: its agency and camera, or ``None`` for a malformed, unknown or
        revoked key."""
        parts = credentials.parse_api_key(raw)
        if parts is None:
            return None
        cache_key = credentials.digest(str(parts))
        cached = self._cached_key(cache_key)
        if cached is not None:
            return cached
        epoch = self._cache_epoch_now()
        with self._sessions() as session:
            key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts.prefix))
        if key is None or key.revoked_at is not None:
            return None
        if not credentials.same_digest(parts.secret, key.secret_hash):
            return None
        principal = KeyPrincipal(key.agency_id, key.camera_id, key.prefix)
        self._remember_key(cache_key, principal, epoch)
        return principal

    def revoke_api_key(self, prefix: str, *, agency_id: int | None = None) -> ApiKey:
        """Revoke the key with ``prefix`` (of ``agency_id``, when given: another agency's
        key is reported as not found)."""
        with self._transaction() as session:
            key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
            if key is None or (agency_id is not None and key.agency_id != agency_id):
                raise NotFound(f"no key `{prefix}`")
            if key.revoked_at is not None:
                raise CatalogError(f"key `{prefix}` is already revoked")
            key.revoked_at = utc_now()
            self._bump(session)
        return key

    def api_keys(self, agency_id: int | None = None) -> list[ApiKey]:
        """Every key (revoked ones too), or those of ``agency_id``, oldest first."""
        query = select(ApiKey).order_by(ApiKey.id)
        if agency_id is not None:
            query = query.where(ApiKey.agency_id == agency_id)
        with self._sessions() as session:
            return list(session.scalars(query))
