"""Tree ranges: perfect subtrees, their storage ids, and the compact range of a log.

A *node* is ``(level, index)``: the perfect subtree of ``2**level`` leaves starting at
leaf ``index * 2**level``. Every node of every tree size the log ever had is such a
perfect subtree except the right-border nodes of a tree whose size is not a power of
two; those are hashed from the perfect subtrees that cover them (``fold``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from plateledger.audit.hashing import EMPTY_ROOT, node_hash

Node = tuple[int, int]
"""``(level, index)`` of a perfect subtree."""


def node_id(level: int, index: int) -> int:
    """Return the in-order position of a node in an infinite tree: a unique storage key.

    Leaves get even ids ``2 * index``; the node at ``level`` gets
    ``index * 2**(level+1) + 2**level - 1``.
    """
    return (index << (level + 1)) + (1 << level) - 1


def largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly smaller than ``n``; requires ``n > 1``."""
    if n < 2:
        raise ValueError(f"no power of two below `{n}`")
    return 1 << ((n - 1).bit_length() - 1)


def subtrees(begin: int, end: int) -> list[Node]:
    """Return the perfect subtrees covering leaves ``[begin, end)``, left to right.

    This is the compact range of the interval: the fewest aligned perfect subtrees.
    When ``[begin, end)`` is a node of some tree (as every proof element is), their
    sizes decrease left to right and ``fold`` of their hashes is the node's hash.
    Requires ``0 <= begin <= end``.
    """
    if not 0 <= begin <= end:
        raise ValueError(f"bad leaf range `[{begin}, {end})`")
    nodes: list[Node] = []
    while begin < end:
        # the largest aligned block starting at `begin` that still fits before `end`
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length()
        while (1 << level) > end - begin:
            level -= 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Hash a right-border node from its perfect subtrees' hashes, left to right.

    RFC 6962's ``MTH`` splits at the largest power of two, so the rightmost subtrees
    are combined first. The empty sequence folds to the empty-tree root.
    """
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


@dataclass
class CompactRange:
    """The compact range ``[0, size)``: the hashes of the perfect subtrees of the tree.

    ``hashes`` are those of ``subtrees(0, size)``, in the same order. Appending a leaf
    merges completed subtrees and reports every new perfect node so it can be stored.
    """

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf hash; return the ``(level, index, hash)`` nodes it completed.

        Level-0 nodes (the leaf itself) are not returned: leaves are stored with entries.
        """
        completed: list[tuple[int, int, bytes]] = []
        acc, level, index = leaf, 0, self.size
        while index & 1:
            acc = node_hash(self.hashes.pop(), acc)
            level += 1
            index >>= 1
            completed.append((level, index, acc))
        self.hashes.append(acc)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """Return the root hash of the tree of ``size`` leaves."""
        return fold(self.hashes)
