"""``RemoteLog``: a running server's public audit endpoints (``/v1/audit/...``) over HTTP."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import httpx

from plateledger.audit.errors import AuditError
from plateledger.audit.hashing import HASH_SIZE

PREFIX = "/v1/audit"


@dataclass(frozen=True, slots=True)
class RemoteLeaf:
    """One entry as the public sees it: index, leaf hash and the redacted summary."""

    index: int
    leaf_hash: bytes
    summary: dict[str, Any]


def _hash(value: Any) -> bytes:
    if not isinstance(value, str):
        raise AuditError("server sent a hash that is not a base64 string")
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AuditError(f"server sent a hash that is not base64: `{value[:64]}`") from exc
    if len(digest) != HASH_SIZE:  # else bytes shifted between leaves still fold to the root
        raise AuditError(f"server sent a hash of {len(digest)} bytes, not {HASH_SIZE}")
    return digest


class RemoteLog:
    """Client of the public audit API; ``client`` carries the server's base URL."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    @classmethod
    def connect(cls, url: str, *, timeout: float = 30.0) -> RemoteLog:
        """Return a client of the server at ``url`` (e.g. ``https://alpr.city.example``)."""
        return cls(httpx.Client(base_url=url, timeout=timeout))

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, **params: int) -> httpx.Response:
        try:
            response = self._client.get(PREFIX + path, params=params)
        except httpx.HTTPError as exc:
            raise AuditError(f"cannot reach the audit log: {exc}") from exc
        if response.status_code != 200:
            raise AuditError(
                f"`GET {PREFIX}{path}` answered {response.status_code}: {response.text[:200]}"
            )
        return response

    def checkpoint(self) -> str:
        """Return the server's current signed checkpoint note."""
        return self._get("/checkpoint").text

    def verifier_key(self) -> str:
        """Return the verifier key the server says it signs with (trust it only once)."""
        return self._get("/key").text.strip()

    def entries(self, start: int, limit: int) -> list[RemoteLeaf]:
        """Return up to ``limit`` public entries from ``start`` on."""
        body = self._get("/entries", start=start, limit=limit).json()
        return [
            RemoteLeaf(int(item["index"]), _hash(item["leaf_hash"]), dict(item["summary"]))
            for item in body["entries"]
        ]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the audit path of entry ``index`` in the tree of ``size``."""
        body = self._get("/proof/inclusion", index=index, size=size).json()
        return [_hash(h) for h in body["proof"]]

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """Return the consistency proof from tree size ``old`` to ``new``."""
        body = self._get("/proof/consistency", **{"from": old, "to": new}).json()
        return [_hash(h) for h in body["proof"]]
