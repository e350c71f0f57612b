"""Which nodes make up an RFC 6962 proof (RFC 6962 §2.1.1 ``PATH``, §2.1.2 ``PROOF``).

Proofs are computed as leaf ranges ``[begin, end)``, each a node of the tree at the
proof's size, in the order the RFC lists them (nearest the leaf first). ``subtrees``
turns each range into the stored perfect subtrees whose ``fold`` is its hash, so a
store can fetch every hash of a proof in one lookup.
"""

from __future__ import annotations

from plateledger.audit.compact import Node, largest_power_of_two_below, subtrees
from plateledger.audit.errors import LogRangeError

LeafRange = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[LeafRange]:
    """Return the ranges of the audit path of leaf ``index`` in the tree of ``size`` leaves.

    Requires ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise LogRangeError(f"leaf index `{index}` is not in a tree of size `{size}`")
    path: list[LeafRange] = []
    lo, hi = 0, size
    # walk from the root down to the leaf, then reverse: the RFC lists leaf-side first
    while hi - lo > 1:
        k = largest_power_of_two_below(hi - lo)
        if index < lo + k:
            path.append((lo + k, hi))
            hi = lo + k
        else:
            path.append((lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_ranges(old: int, new: int) -> list[LeafRange]:
    """Return the ranges of the consistency proof from tree size ``old`` to ``new``.

    Requires ``0 <= old <= new``. The proof is empty when ``old`` is 0 or equals ``new``
    (every tree is consistent with the empty tree and with itself).
    """
    if not 0 <= old <= new:
        raise LogRangeError(f"cannot prove tree size `{old}` consistent with size `{new}`")
    if old == 0 or old == new:
        return []
    proof: list[LeafRange] = []
    lo, hi, m, complete = 0, new, old, True
    # SUBPROOF(m, D[lo:hi], complete), unrolled from the root down
    while m != hi - lo:
        k = largest_power_of_two_below(hi - lo)
        if m <= k:
            proof.append((lo + k, hi))
            hi = lo + k
        else:
            proof.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append((lo, hi))
    proof.reverse()
    return proof


def ranges_nodes(ranges: list[LeafRange]) -> list[list[Node]]:
    """Return, for each range, the perfect subtrees to fold into its hash."""
    return [subtrees(begin, end) for begin, end in ranges]
