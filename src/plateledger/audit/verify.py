"""Verifying RFC 6962 proofs, as specified step by step in RFC 9162 §2.1.3.2 and §2.1.4.2.

Pure functions over hashes; nothing here reads the log. Every failure raises
``ProofError`` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from plateledger.audit.errors import ProofError
from plateledger.audit.hashing import HASH_SIZE, node_hash


def _check_hash_sizes(proof: Sequence[bytes]) -> None:
    for i, element in enumerate(proof):
        if len(element) != HASH_SIZE:
            raise ProofError(f"proof element {i} has {len(element)} bytes, not {HASH_SIZE}")


def _shift_until_odd(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """Return the root hash that ``proof`` implies for leaf ``index`` of a tree of ``size``.

    Raises ``ProofError`` when the proof has the wrong shape for that index and size.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index `{index}` is not in a tree of size `{size}`")
    if len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"leaf hash has {len(leaf_hash)} bytes, not {HASH_SIZE}")
    _check_hash_sizes(proof)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_until_odd(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path to the root")
    return r


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    if len(root) != HASH_SIZE:
        raise ProofError(f"root hash has {len(root)} bytes, not {HASH_SIZE}")
    if root_from_inclusion_proof(index, size, leaf_hash, proof) != root:
        raise ProofError(f"inclusion proof for leaf `{index}` does not lead to the root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the one of ``size1``/``root1``.

    An empty old tree is consistent with any tree (the proof must then be empty); a
    tree is consistent with itself only when the roots are equal and the proof empty.
    """
    if not 0 <= size1 <= size2:
        raise ProofError(f"tree size `{size2}` cannot extend tree size `{size1}`")
    if size1 == size2:
        if proof:
            raise ProofError("consistency proof between equal sizes must be empty")
        if root1 != root2:
            raise ProofError("different roots for the same tree size")
        return
    if size1 == 0:
        if proof:
            raise ProofError("consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    _check_hash_sizes(proof)
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        # the old tree is a perfect subtree of the new one: its root starts the path
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_until_odd(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than needed")
    if fr != root1:
        raise ProofError(f"consistency proof does not lead to the root of size `{size1}`")
    if sr != root2:
        raise ProofError(f"consistency proof does not lead to the root of size `{size2}`")
