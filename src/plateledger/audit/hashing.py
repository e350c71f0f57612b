"""RFC 6962 §2.1 Merkle tree hashing with SHA-256 (also RFC 9162 §2.1.1).

A leaf is hashed as ``SHA-256(0x00 || data)`` and an interior node as
``SHA-256(0x01 || left || right)``; the prefixes keep leaves and nodes apart so
that no leaf can be passed off as a node (second pre-image resistance).
"""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
"""Length in bytes of every hash in the tree."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root hash of the empty tree: ``SHA-256()`` of nothing (RFC 6962 §2.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Return the hash of a leaf holding ``data``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node with children ``left`` and ``right``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()
