"""The fast proof path (leaf ranges → stored perfect subtrees → fold) against the naive
recursive RFC 6962 reference, on random trees, and against the published proofs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plateledger.audit import verify_consistency, verify_inclusion
from plateledger.audit.compact import CompactRange, fold, node_id, subtrees
from plateledger.audit.hashing import leaf_hash
from plateledger.audit.proof import consistency_ranges, inclusion_ranges, ranges_nodes
from tests.audit import reference
from tests.audit.test_rfc6962_vectors import CONSISTENCY, INCLUSION, LEAVES, ROOTS


class NodeStore:
    """What the database holds: every leaf and every completed perfect subtree."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.hashes: dict[int, bytes] = {}
        self.tree = CompactRange()
        for data in leaves:
            digest = leaf_hash(data)
            self.hashes[node_id(0, self.tree.size)] = digest
            for level, index, node in self.tree.append(digest):
                self.hashes[node_id(level, index)] = node

    def proof(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        return [
            fold([self.hashes[node_id(level, index)] for level, index in nodes])
            for nodes in ranges_nodes(ranges)
        ]

    def root(self, size: int) -> bytes:
        return fold([self.hashes[node_id(level, index)] for level, index in subtrees(0, size)])


def test_proofs_match_the_published_vectors() -> None:
    store = NodeStore(LEAVES)
    for index, size, proof in INCLUSION:
        assert store.proof(inclusion_ranges(index, size)) == proof
    for old, new, proof in CONSISTENCY:
        assert store.proof(consistency_ranges(old, new)) == proof
    assert [store.root(n) for n in range(1, 9)] == ROOTS


trees = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(leaves=trees, data=st.data())
def test_inclusion_proof_equals_the_reference_and_verifies(
    leaves: list[bytes], data: st.DataObject
) -> None:
    store = NodeStore(leaves)
    size = data.draw(st.integers(1, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    hashes = [reference.leaf(x) for x in leaves[:size]]
    expected = reference.path(index, hashes)
    assert store.proof(inclusion_ranges(index, size)) == expected
    root = reference.mth(hashes)
    assert store.root(size) == root
    verify_inclusion(index, size, hashes[index], expected, root)


@settings(max_examples=60, deadline=None)
@given(leaves=trees, data=st.data())
def test_consistency_proof_equals_the_reference_and_verifies(
    leaves: list[bytes], data: st.DataObject
) -> None:
    store = NodeStore(leaves)
    new = data.draw(st.integers(0, len(leaves)), label="new")
    old = data.draw(st.integers(0, new), label="old")
    hashes = [reference.leaf(x) for x in leaves]
    expected = reference.consistency(old, hashes[:new])
    assert store.proof(consistency_ranges(old, new)) == expected
    verify_consistency(old, new, expected, reference.mth(hashes[:old]), reference.mth(hashes[:new]))


@settings(max_examples=40, deadline=None)
@given(begin=st.integers(0, 300), length=st.integers(0, 300))
def test_subtrees_cover_the_range_exactly_with_aligned_perfect_subtrees(
    begin: int, length: int
) -> None:
    covered: list[int] = []
    for level, index in subtrees(begin, begin + length):
        covered.extend(range(index << level, (index + 1) << level))
    assert covered == list(range(begin, begin + length))
