"""C2SP ``signed-note`` with Ed25519 (https://c2sp.org/signed-note), byte for byte.

A signed note is a UTF-8 text ending in a newline, a blank line, and signature lines
``— <key name> base64(key ID || signature)``. For Ed25519 (type ``0x01``) the key ID
is ``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` and the signature is over the
note text including its final newline. Verifier keys are written, as in Go's
``golang.org/x/mod/sumdb/note``, ``<name>+<key ID hex>+base64(0x01 || public key)``.
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

from plateledger.audit.errors import NoteError

ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "— "  # em dash U+2014, then a space
KEY_FILE = "audit-log.key"
VERIFIER_FILE = "audit-log.pub"
_PRIVATE_PREFIX = "PRIVATE+KEY+"


def b64decode_strict(text: str) -> bytes:
    """Decode standard base64, refusing anything but its one canonical spelling."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError(f"`{text}` is not standard base64") from exc
    if base64.b64encode(data).decode() != text:
        raise NoteError(f"`{text}` is not canonical base64")
    return data


def check_key_name(name: str) -> None:
    """Raise ``NoteError`` unless ``name`` is non-empty without spaces or ``+``."""
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise NoteError(f"key name `{name}` must be non-empty, without spaces or `+`")


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte Ed25519 key ID of ``name`` and a raw 32-byte public key."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_key).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A parsed verifier key: the key name, its ID and the Ed25519 public key."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, verifier_key: str) -> NoteVerifier:
        """Parse ``<name>+<key ID hex>+base64(0x01 || public key)``; check the key ID."""
        parts = verifier_key.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError(f"verifier key `{verifier_key}` is not `name+id+key`")
        name, id_hex, key_b64 = parts
        check_key_name(name)
        if len(id_hex) != 8 or id_hex.lower() != id_hex:
            raise NoteError(f"key ID `{id_hex}` is not 8 lower-case hex digits")
        material = b64decode_strict(key_b64)
        if len(material) != 33 or material[:1] != ED25519_TYPE:
            raise NoteError("verifier key is not an Ed25519 (type 0x01) key")
        public_key = material[1:]
        try:
            Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError as exc:
            raise NoteError("verifier key holds an invalid Ed25519 public key") from exc
        if key_id(name, public_key).hex() != id_hex:
            raise NoteError(f"key ID `{id_hex}` does not match the key and name")
        return cls(name, bytes.fromhex(id_hex), public_key)

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is this key's Ed25519 signature of ``text``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


class NoteSigner:
    """An Ed25519 signing key with a name (for the log: its origin)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        check_key_name(name)
        self.name = name
        self._private_key = private_key
        self.public_key = _raw_public(private_key.public_key())
        self.key_id = key_id(name, self.public_key)

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """Return a signer with a fresh random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key_text(cls, text: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+<name>+<key ID hex>+base64(0x01 || seed)``."""
        if not text.startswith(_PRIVATE_PREFIX):
            raise NoteError("private key text does not start with `PRIVATE+KEY+`")
        parts = text.strip()[len(_PRIVATE_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise NoteError("private key text is not `PRIVATE+KEY+name+id+key`")
        name, id_hex, seed_b64 = parts
        material = b64decode_strict(seed_b64)
        if len(material) != 33 or material[:1] != ED25519_TYPE:
            raise NoteError("private key is not an Ed25519 (type 0x01) key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(material[1:]))
        if signer.key_id.hex() != id_hex:
            raise NoteError(f"key ID `{id_hex}` does not match the private key")
        return signer

    def private_key_text(self) -> str:
        """Return the private key in the ``PRIVATE+KEY+...`` text form (keep it secret)."""
        seed = self._private_key.private_bytes_raw()
        encoded = base64.b64encode(ED25519_TYPE + seed).decode()
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def load(cls, data_dir: Path) -> NoteSigner:
        """Load the log key from ``<data_dir>/keys/``; raise ``NoteError`` if it is missing."""
        path = data_dir / "keys" / KEY_FILE
        try:
            return cls.from_private_key_text(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise NoteError(f"no audit log key at `{path}`") from exc

    @classmethod
    def load_or_create(cls, data_dir: Path, origin: str) -> NoteSigner:
        """Load the log key from ``<data_dir>/keys/``, creating it (mode 0600) on first use.

        The key is named ``origin``. An existing key is returned as is, whatever its name.
        """
        keys = data_dir / "keys"
        if (keys / KEY_FILE).exists():
            return cls.load(data_dir)
        signer = cls.generate(origin)
        signer.save(data_dir)
        return signer

    def save(self, data_dir: Path) -> None:
        """Write the key to ``<data_dir>/keys/`` (private 0600, verifier key beside it).

        Refuses to overwrite an existing key file.
        """
        keys = data_dir / "keys"
        keys.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not both write a key
        fd = os.open(keys / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.private_key_text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        (keys / VERIFIER_FILE).write_text(self.verifier_key() + "\n", encoding="utf-8")

    def verifier_key(self) -> str:
        """Return ``<name>+<key ID hex>+base64(0x01 || public key)``."""
        encoded = base64.b64encode(ED25519_TYPE + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def signature(self, text: str) -> bytes:
        """Return the raw Ed25519 signature of ``text`` (UTF-8)."""
        return self._private_key.sign(text.encode())

    def sign(self, text: str) -> str:
        """Return ``text`` as a signed note with this key's signature line."""
        check_note_text(text)
        blob = base64.b64encode(self.key_id + self.signature(text)).decode()
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {blob}\n"


def check_note_text(text: str) -> None:
    """Raise ``NoteError`` unless ``text`` ends in a newline and has no control characters."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("note text must not contain control characters other than newline")


def open_note(note: str, verifier_key: str) -> str:
    """Return the text of ``note`` after checking it is signed by ``verifier_key``.

    Signatures by other keys are ignored (as the spec requires); a signature by this
    key that does not verify, or no signature by it, raises ``NoteError``.
    """
    verifier = NoteVerifier.parse(verifier_key)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    check_note_text(text)
    if not signatures.endswith("\n") or any(ord(ch) < 0x20 and ch != "\n" for ch in signatures):
        raise NoteError("note signatures must be lines ending with a newline")
    verified = False
    for line in signatures[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"signature line `{line}` does not start with an em dash and space")
        fields = line[len(SIGNATURE_PREFIX) :].split(" ")
        if len(fields) != 2:
            raise NoteError(f"signature line `{line}` is not `— name signature`")
        name, blob_b64 = fields
        blob = b64decode_strict(blob_b64)
        if len(blob) < 5:
            raise NoteError(f"signature of `{name}` is too short")
        if name != verifier.name or blob[:4] != verifier.key_id:
            continue
        if not verifier.verify(text.encode(), blob[4:]):
            raise NoteError(f"signature by `{name}` does not verify")
        verified = True
    if not verified:
        raise NoteError(f"note is not signed by `{verifier.name}` key `{verifier.key_id.hex()}`")
    return text
