"""Published RFC 6962 test vectors (Certificate Transparency's C++ tests, as kept in
transparency-dev/merkle ``proof/verify_test.go``), and the mutations that must fail.

The vectors are JSON files under ``vectors/``: leaves and roots of the first eight trees,
inclusion proofs and consistency proofs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plateledger.audit import ProofError, verify_consistency, verify_inclusion
from plateledger.audit.compact import CompactRange
from plateledger.audit.hashing import EMPTY_ROOT, leaf_hash
from plateledger.audit.verify import root_from_inclusion_proof

VECTORS = Path(__file__).parent / "vectors"
"""The shared vectors, as JSON files that other implementations can read too."""


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VECTORS / f"{name}.json").read_text())
    return loaded


def h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes]


LEAVES = h(*_load("tree")["leaves"])
ROOTS = h(*_load("tree")["roots"])
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")

# (leaf index, tree size, proof): indexes here are 0-based
INCLUSION = [(p["index"], p["size"], h(*p["proof"])) for p in _load("inclusion")["proofs"]]
CONSISTENCY = [
    (p["size1"], p["size2"], h(*p["proof"])) for p in _load("consistency")["proofs"]
]


@pytest.mark.parametrize("size", range(1, 9))
def test_root_of_the_first_n_leaves_matches_the_published_root(size: int) -> None:
    tree = CompactRange()
    for data in LEAVES[:size]:
        tree.append(leaf_hash(data))
    assert tree.root() == ROOTS[size - 1]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert CompactRange().root() == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def flipped(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    copy = list(proof)
    copy[i] = bytes([copy[i][0] ^ bit]) + copy[i][1:]
    return copy


def inclusion_mutations(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, int, int, bytes, list[bytes], bytes]]:
    probes = [
        ("index - 1", index - 1, size, leaf, proof, root),
        ("index + 1", index + 1, size, leaf, proof, root),
        ("index ^ 2", index ^ 2, size, leaf, proof, root),
        ("size * 2", index, size * 2, leaf, proof, root),
        ("size / 2", index, size // 2, leaf, proof, root),
        ("wrong leaf", index, size, b"WrongLeaf", proof, root),
        ("empty root", index, size, leaf, proof, EMPTY_ROOT),
        ("random root", index, size, leaf, proof, SOME_HASH),
        ("trailing garbage", index, size, leaf, [*proof, b""], root),
        ("trailing root", index, size, leaf, [*proof, root], root),
        ("preceding garbage", index, size, leaf, [b"", *proof], root),
        ("preceding root", index, size, leaf, [root, *proof], root),
        ("removed component", index, size, leaf, proof[:-1], root),
    ]
    probes += [(f"flipped bit 3 of [{i}]", index, size, leaf, flipped(proof, i, 8), root)
               for i in range(len(proof))]  # fmt: skip
    if len(proof) > 1:
        probes.append(("inserted", index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_published_inclusion_proof_verifies_and_every_mutation_fails(
    index: int, size: int, proof: list[bytes]
) -> None:
    leaf = leaf_hash(LEAVES[index])
    root = ROOTS[size - 1]
    assert root_from_inclusion_proof(index, size, leaf, proof) == root
    verify_inclusion(index, size, leaf, proof, root)
    accepted = []
    for name, i, n, lf, pr, rt in inclusion_mutations(index, size, proof, root, leaf):
        try:
            verify_inclusion(i, n, lf, pr, rt)
        except ProofError:
            continue
        accepted.append(name)
    assert accepted == []


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_in_a_bad_tree_or_with_bad_hashes_fails(index: int, size: int) -> None:
    for leaf, root in [(SOME_HASH, b""), (b"", EMPTY_ROOT), (SOME_HASH, EMPTY_ROOT)]:
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, [], root)


@pytest.mark.parametrize(
    ("root", "leaf", "ok"),
    [("hash", "hash", True), ("hash", "", False), ("", "hash", False), ("", "", False)],
)
def test_single_entry_tree_root_is_the_leaf_hash(root: str, leaf: str, ok: bool) -> None:
    digest = leaf_hash(b"data")
    values = {"hash": digest, "": b""}
    if ok:
        verify_inclusion(0, 1, values[leaf], [], values[root])
    else:
        with pytest.raises(ProofError):
            verify_inclusion(0, 1, values[leaf], [], values[root])


def consistency_mutations(
    s1: int, s2: int, r1: bytes, r2: bytes, proof: list[bytes]
) -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    probes = [
        ("size1 - 1", s1 - 1, s2, r1, r2, proof),
        ("size1 + 1", s1 + 1, s2, r1, r2, proof),
        ("size1 ^ 2", s1 ^ 2, s2, r1, r2, proof),
        ("size2 * 2", s1, s2 * 2, r1, r2, proof),
        ("size2 / 2", s1, s2 // 2, r1, r2, proof),
        ("wrong root1", s1, s2, b"WrongRoot", r2, proof),
        ("wrong root2", s1, s2, r1, b"WrongRoot", proof),
        ("swapped roots", s1, s2, r2, r1, proof),
        ("empty proof", s1, s2, r1, r2, []),
        ("trailing garbage", s1, s2, r1, r2, [*proof, b""]),
        ("trailing root1", s1, s2, r1, r2, [*proof, r1]),
        ("trailing root2", s1, s2, r1, r2, [*proof, r2]),
        ("preceding garbage", s1, s2, r1, r2, [b"", *proof]),
        ("preceding root1", s1, s2, r1, r2, [r1, *proof]),
        ("preceding root2", s1, s2, r1, r2, [r2, *proof]),
        ("preceding proof[0]", s1, s2, r1, r2, [proof[0], *proof]),
        ("truncated", s1, s2, r1, r2, proof[:-1]),
    ]
    probes += [(f"flipped bit 4 of [{i}]", s1, s2, r1, r2, flipped(proof, i, 16))
               for i in range(len(proof))]  # fmt: skip
    return probes


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_published_consistency_proof_verifies_and_every_mutation_fails(
    size1: int, size2: int, proof: list[bytes]
) -> None:
    root1, root2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    verify_consistency(size1, size2, proof, root1, root2)
    accepted = []
    for name, s1, s2, r1, r2, pr in consistency_mutations(size1, size2, root1, root2, proof):
        try:
            verify_consistency(s1, s2, pr, r1, r2)
        except ProofError:
            continue
        accepted.append(name)
    assert accepted == []


ROOT1, ROOT2 = b"don't care 1", b"don't care 2"


@pytest.mark.parametrize(
    ("size1", "size2", "root1", "root2", "proof", "ok"),
    [
        (0, 0, ROOT1, ROOT2, [], False),
        (1, 1, ROOT1, ROOT2, [], False),
        (0, 0, ROOT1, ROOT1, [], True),
        (0, 1, ROOT1, ROOT2, [], True),
        (1, 1, ROOT2, ROOT2, [], True),
        (1, 0, ROOT1, ROOT2, [], False),
        (2, 1, ROOT1, ROOT2, [], False),
        (1, 2, ROOT1, ROOT2, [], False),
        (0, 0, EMPTY_ROOT, ROOT2, [], False),
        (1, 1, EMPTY_ROOT, ROOT2, [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ],
)
def test_trivial_consistency_cases(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes], ok: bool
) -> None:
    if ok:
        verify_consistency(size1, size2, proof, root1, root2)
    else:
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, proof, root1, root2)
