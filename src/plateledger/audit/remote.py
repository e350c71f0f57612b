"""``RemoteLog``: a running server's public audit endpoints (``/v1/audit/...``) over HTTP."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from plateledger.audit.errors import AuditError
from plateledger.audit.hashing import HASH_SIZE

PREFIX = "/v1/audit"

T = TypeVar("T")


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

    def _read(self, path: str, what: str, read: Callable[[Any], T], **params: int) -> T:
        """``read`` applied to the JSON answer of ``GET path``; an answer that is not JSON
        or not of the shape ``read`` expects is an `AuditError` naming the route (a server
        that lies gets a message, not a traceback)."""
        response = self._get(path, **params)
        try:
            return read(response.json())
        except AuditError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AuditError(
                f"`GET {PREFIX}{path}` did not answer with {what}: {type(exc).__name__} {exc}"
                [:300]
            ) from None

    def checkpoint(self) -> str:
        """Return the server's current signed checkpoint note."""
        return self._get("/checkpoint").text

    def verifier_key(self) -> str:
        """Return the verifier key the server says it signs with (trust it only once)."""
        return self._get("/key").text.strip()

    def entries(self, start: int, limit: int) -> list[RemoteLeaf]:
        """Return up to ``limit`` public entries from ``start`` on."""
        def read(body: Any) -> list[RemoteLeaf]:
            found = []
            for item in body["entries"]:
                index, summary = item["index"], item["summary"]
                if not isinstance(index, int) or not isinstance(summary, dict):
                    raise TypeError("an entry's index is not a number or its summary no object")
                found.append(RemoteLeaf(index, _hash(item["leaf_hash"]), summary))
            return found

        return self._read("/entries", "the log's entries", read, start=start, limit=limit)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the audit path of entry ``index`` in the tree of ``size``."""
        return self._read("/proof/inclusion", "an inclusion proof", _proof, index=index,
                          size=size)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """Return the consistency proof from tree size ``old`` to ``new``."""
        return self._read("/proof/consistency", "a consistency proof", _proof,
                          **{"from": old, "to": new})


def _proof(body: Any) -> list[bytes]:
    hashes = body["proof"]
    if not isinstance(hashes, list):
        raise TypeError("the proof is not a list of hashes")
    return [_hash(h) for h in hashes]
