"""The receiving side of a node request: who signed it, and whether it may be used.

`NodeVerifier.verify` checks, in this order, and refuses with `RequestRefused` at the
first failure (nothing is looked up for a refused request):

1. the request is signed (``signature_missing``) with one RFC 9421 signature of this
   profile covering at least `COVERED`, ``alg`` ``ed25519`` and this profile's ``tag``
   (``signature_invalid``);
2. its ``Content-Digest`` is the digest of the body received (``digest_mismatch``): a
   body changed after signing is refused even before its signature is checked;
3. its ``keyid`` is a registered node's (``unknown_node``, 401), not revoked
   (``node_revoked``, 403) — read from the catalog on every request, so a revocation
   holds from the next request on, in every process;
4. its ``created`` time is within the window of now, either way (``signature_expired``);
5. the signature verifies under the node's key (``signature_invalid``);
6. its nonce has not been seen with this key within the window (``replayed_request``);
   it is remembered in the catalog database (`plateledger.catalog.nodes.remember_nonce`).

The signature is checked over the ``parts`` the caller gives: its ``authority`` must be
the receiver's own (from its public URL), not the request's ``Host``, or a request
signed for another node would verify here. Whether the node may ask for the agency a
request names is the caller's check (`VerifiedNode.answers_for`), made once the body is
read.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from plateledger.catalog.nodes import node_by_key_id, remember_nonce
from plateledger.federation.errors import RequestRefused
from plateledger.federation.keys import NodePublicKey
from plateledger.federation.signatures import (
    COVERED,
    TAG,
    RequestParts,
    content_digest,
    parse_signature,
    signature_base,
)

__all__ = ["DEFAULT_WINDOW", "NodeVerifier", "VerifiedNode"]

DEFAULT_WINDOW = timedelta(minutes=5)
"""How far a request's ``created`` time may be from the receiver's clock."""


@dataclass(frozen=True, slots=True)
class VerifiedNode:
    """The registered node that signed a request."""

    name: str
    key_id: str
    agencies: tuple[str, ...]
    nonce: str

    def answers_for(self, slug: str) -> bool:
        return slug in self.agencies


class NodeVerifier:
    """Verifies signed node requests against the nodes of one catalog database."""

    def __init__(self, engine: Engine, window: timedelta = DEFAULT_WINDOW) -> None:
        self.engine = engine
        self.window = window

    def verify(
        self,
        parts: RequestParts,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime | None = None,
    ) -> VerifiedNode:
        """The node that signed this request; raise `RequestRefused` (see the module).
        ``headers`` maps lower-case names to values."""
        now = now or datetime.now(UTC)
        signed = parse_signature(headers.get("signature-input"), headers.get("signature"))
        missing = [c for c in COVERED if c not in signed.components]
        if missing:
            raise RequestRefused("signature_invalid", f"the signature must cover `{missing[0]}`")
        if signed.alg not in (None, "ed25519") or signed.tag != TAG:
            raise RequestRefused(
                "signature_invalid", f"the signature must be `ed25519` with tag `{TAG}`"
            )
        sent = headers.get("content-digest", "")
        if not hmac.compare_digest(sent.strip().encode(), content_digest(body).encode()):
            raise RequestRefused(
                "digest_mismatch",
                "`Content-Digest` is not the sha-256 of "
                "the body received: the body was changed or cut",
            )
        with Session(self.engine) as session:
            node = node_by_key_id(session, signed.keyid)
            if node is None:
                raise RequestRefused(
                    "unknown_node", f"no node with key `{signed.keyid[:64]}` is registered"
                )
            if node.revoked_at is not None:
                raise RequestRefused(
                    "node_revoked", f"the key of node `{node.name}` was revoked", 403
                )
            name, public_key, agencies = node.name, node.public_key, tuple(node.agencies)
        offset = now.timestamp() - signed.created
        age = abs(offset)
        if age > self.window.total_seconds():
            when = f"{int(age)} s ago" if offset > 0 else f"{int(age)} s in the future"
            raise RequestRefused(
                "signature_expired",
                f"the signature was made {when}; at most "
                f"{int(self.window.total_seconds())} s either way",
            )
        base = signature_base(signed.components, signed.params, parts, headers)
        if not NodePublicKey.parse(public_key).verify(signed.signature, base):
            raise RequestRefused(
                "signature_invalid", f"the signature does not verify under node `{name}`'s key"
            )
        with self.engine.begin() as connection:
            fresh = remember_nonce(connection, signed.keyid, signed.nonce, now, self.window)
        if not fresh:
            raise RequestRefused(
                "replayed_request", "this request's nonce was seen already: a replay"
            )
        return VerifiedNode(name, signed.keyid, agencies, signed.nonce)
