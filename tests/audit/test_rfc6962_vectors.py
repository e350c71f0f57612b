"""Published RFC 6962 test vectors (Certificate Transparency's C++ tests, as kept in
transparency-dev/merkle ``proof/verify_test.go``), and the mutations that must fail."""

from __future__ import annotations

import pytest

from plateledger.audit import ProofError, verify_consistency, verify_inclusion
from plateledger.audit.compact import CompactRange
from plateledger.audit.hashing import EMPTY_ROOT, leaf_hash
from plateledger.audit.verify import root_from_inclusion_proof

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]  # fmt: skip
ROOTS = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]  # fmt: skip
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes]


# (leaf index, tree size, proof): indexes here are 0-based
INCLUSION = [
    (0, 8, h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (5, 8, h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 3, h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (1, 5, h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
]  # fmt: skip

CONSISTENCY = [
    (1, 8, h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (6, 8, h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 5, h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
    (6, 7, h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
]  # fmt: skip


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
