"""Ingest URLs: a credential for clients that cannot send a key header.

OpenALPR's ``alprd`` posts with only ``Accept``, ``Content-Type`` and ``charsets`` headers,
so it cannot carry an API key; it can only be given a URL. An ingest URL's credential is
``pli_<prefix>_<secret>``, carried in the path (``/v1/ingest/<credential>/<format>``). It
is a kind of its own: it only adds reads of its one camera of one agency, and is accepted
by no other route (the API-key header and bearer-token checks do not know its scheme). It
is shown once when issued, kept as the SHA-256 of its secret, and revocable.

The trade-off, documented in docs/formats.md: a URL ends up in proxy and access logs, so
whoever reads those logs can post reads as that camera (and nothing else) until the
credential is revoked.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from plateledger.catalog import credentials
from plateledger.catalog.database import CatalogDatabase
from plateledger.catalog.errors import CatalogError, NotFound
from plateledger.catalog.models import Agency, Camera, IngestUrl
from plateledger.catalog.principals import KeyPrincipal
from plateledger.catalog.timeutil import utc_now

INGEST_SCHEME = "pli"
_PREFIX_BYTES = 6


def parse_ingest_credential(raw: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of ``raw``, or ``None`` when it is not shaped like one."""
    scheme, _, rest = raw.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != INGEST_SCHEME or len(prefix) != 2 * _PREFIX_BYTES or not secret:
        return None
    if any(c not in "0123456789abcdef" for c in prefix) or len(secret) > 128:
        return None
    return prefix, secret


class IngestUrlRecords(CatalogDatabase):
    """Ingest-URL credentials of the `Catalog`."""

    def issue_ingest_url(self, agency_id: int, camera_id: str, label: str = "") -> str:
        """A new ingest-only credential for camera ``camera_id`` of agency ``agency_id``;
        returned here once and never stored."""
        prefix, secret = secrets.token_hex(_PREFIX_BYTES), secrets.token_urlsafe(32)
        with self._transaction() as session:
            if session.get(Agency, agency_id) is None:
                raise NotFound(f"no agency `{agency_id}`")
            camera = session.scalar(select(Camera).where(Camera.camera_id == camera_id))
            if camera is None or camera.owner_id != agency_id:
                raise NotFound(f"agency `{agency_id}` has no camera `{camera_id}`")
            session.add(IngestUrl(
                prefix=prefix, secret_hash=credentials.digest(secret), agency_id=agency_id,
                camera_id=camera_id, label=label,
            ))
            self._bump(session)
        return f"{INGEST_SCHEME}_{prefix}_{secret}"

    def authenticate_ingest_url(self, raw: str) -> KeyPrincipal | None:
        """The agency and camera of ``raw``, or ``None`` for a malformed, unknown or revoked
        credential."""
        parts = parse_ingest_credential(raw)
        if parts is None:
            return None
        prefix, secret = parts
        with self._sessions() as session:
            row = session.scalar(select(IngestUrl).where(IngestUrl.prefix == prefix))
        if row is None or row.revoked_at is not None:
            return None
        if not credentials.same_digest(secret, row.secret_hash):
            return None
        return KeyPrincipal(row.agency_id, row.camera_id, row.prefix)

    def revoke_ingest_url(self, prefix: str, *, agency_id: int | None = None) -> IngestUrl:
        """Revoke the ingest URL with ``prefix`` (of ``agency_id``, when given)."""
        with self._transaction() as session:
            row = session.scalar(select(IngestUrl).where(IngestUrl.prefix == prefix))
            if row is None or (agency_id is not None and row.agency_id != agency_id):
                raise NotFound(f"no ingest URL `{prefix}`")
            if row.revoked_at is not None:
                raise CatalogError(f"ingest URL `{prefix}` is already revoked")
            row.revoked_at = utc_now()
            self._bump(session)
        return row
