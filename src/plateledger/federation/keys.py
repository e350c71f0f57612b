"""A node's Ed25519 key: made once, kept beside the audit log's key, shown to partners.

The private key is ``<data_dir>/keys/node.key`` (mode 0600, written once with ``O_EXCL``
so that two processes starting at once cannot both make one), its public half
``node.pub`` beside it — as the audit log's signing key is kept
(`plateledger.audit.note.NoteSigner`). Partners exchange the public key text (standard
base64 of the raw 32 bytes) out of band and register it (``plateledger node add``). The
key id is the first 32 hex digits of the SHA-256 of the raw public key; a signed request
names it (``keyid``), and it is the key's fingerprint operators compare by phone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from plateledger.federation.errors import FederationError

__all__ = ["KEY_FILE", "PUBLIC_FILE", "NodeKey", "NodePublicKey"]

KEY_FILE = "node.key"
PUBLIC_FILE = "node.pub"


@dataclass(frozen=True, slots=True)
class NodePublicKey:
    """A node's public key as partners register it."""

    raw: bytes

    @classmethod
    def parse(cls, text: str) -> NodePublicKey:
        """Parse the base64 of a raw Ed25519 public key; raise `FederationError`."""
        try:
            raw = base64.b64decode(text.strip(), validate=True)
            Ed25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError):
            raise FederationError(
                "invalid_key", f"`{text[:80]}` is not a base64 Ed25519 public key"
            ) from None
        return cls(raw)

    def text(self) -> str:
        return base64.b64encode(self.raw).decode()

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()[:32]

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class NodeKey:
    """This node's signing key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public = NodePublicKey(
            private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        )

    @classmethod
    def generate(cls) -> NodeKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, data_dir: Path) -> NodeKey:
        """The key under ``<data_dir>/keys/``, made there (0600) on first use."""
        keys = data_dir / "keys"
        path = keys / KEY_FILE
        if not path.exists():
            keys.mkdir(parents=True, exist_ok=True)
            key = cls.generate()
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it meanwhile: use theirs
                return cls.load_or_create(data_dir)
            seed = key._private_key.private_bytes_raw()
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(base64.b64encode(seed).decode() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            (keys / PUBLIC_FILE).write_text(key.public.text() + "\n", encoding="utf-8")
            return key
        try:
            seed = base64.b64decode(path.read_text(encoding="utf-8").strip(), validate=True)
            return cls(Ed25519PrivateKey.from_private_bytes(seed))
        except (binascii.Error, ValueError):
            raise FederationError("invalid_key", f"`{path}` holds no Ed25519 key") from None

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)
