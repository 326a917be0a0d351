"""The Merkle tree of RFC 9162 (domain/merkle.py) — cây Merkle của sổ sự kiện.

Three kinds of evidence:

* published test vectors, transcribed into ``tests/unit/vectors/transparency_dev_merkle.json`` from
  https://github.com/transparency-dev/merkle (the successor of the Certificate Transparency Go code):
  ``testonly/constants.go`` (leaves, node hashes, roots of sizes 0..8, compact ranges),
  ``proof/verify_test.go`` (inclusion and consistency proofs, the corruptions its verifier must refuse,
  the edge cases of consistency) and ``proof/proof_test.go`` (which nodes make up a proof, for trees up
  to 95 leaves); the file names the commit of each;
* the independent implementation ``pymerkle`` (7.0.0), whose default hashing (sha256, "security" on:
  0x00 before a leaf, 0x01 before a node) is RFC 9162's — the vectors' roots check that too;
* hypothesis properties over random trees.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from domain.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    first_difference,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion_proof,
    subtree_hasher,
    verify_consistency,
    verify_inclusion,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "transparency_dev_merkle.json").read_text())
LEAVES = [bytes.fromhex(value) for value in VECTORS["leaves"]]
LEAF_HASHES = [leaf_hash(value) for value in LEAVES]
NODES = [[bytes.fromhex(value) for value in level] for level in VECTORS["node_hashes"]]
ROOTS = [bytes.fromhex(value) for value in VECTORS["roots"]]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def distinct_leaves(count: int) -> list[bytes]:
    """``count`` different leaf hashes (no two leaves alike, so no proof verifies by coincidence)."""
    return [leaf_hash(b"event %d" % number) for number in range(count)]


def flipped(value: bytes, mask: int = 8) -> bytes:
    return bytes([value[0] ^ mask]) + value[1:]


# ------------------------------------------------------------------------------------ hashing


def test_the_empty_tree_and_the_prefixes():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT == ROOTS[0]
    assert leaf_hash(b"") == NODES[0][0]
    assert node_hash(NODES[0][0], NODES[0][1]) == NODES[1][0]


def test_leaf_hashes_are_the_published_level_zero():
    assert NODES[0] == LEAF_HASHES


def test_every_published_node_is_the_hash_of_its_subtree():
    subtree = subtree_hasher(LEAF_HASHES)
    for level, hashes in enumerate(NODES):
        for index, expected in enumerate(hashes):
            assert subtree(index << level, (index + 1) << level) == expected


@pytest.mark.parametrize("size", range(9))
def test_published_roots(size):
    assert root(LEAF_HASHES[:size]) == ROOTS[size]
    compact = CompactRange()
    compact.extend(LEAF_HASHES[:size])
    assert compact.root() == ROOTS[size]
    assert InmemoryTree.init_from_entries(LEAVES).get_root(size) == ROOTS[size]


@pytest.mark.parametrize("size", range(9))
def test_published_compact_ranges(size):
    compact = CompactRange()
    compact.extend(LEAF_HASHES[:size])
    assert compact.size == size
    assert compact.hashes == [NODES[level][index] for level, index in VECTORS["compact_trees"][size]]


def test_root_of_a_million_leaves():
    """Alike leaves, so that the expected root comes from the perfect subtrees in O(log n) hashes."""
    size = 1_000_000
    leaf = leaf_hash(b"x")
    perfect = [leaf]
    while len(perfect) < size.bit_length():
        perfect.append(node_hash(perfect[-1], perfect[-1]))
    frontier = [perfect[level] for level in reversed(range(size.bit_length())) if size >> level & 1]
    started = time.perf_counter()
    assert root([leaf] * size) == CompactRange.restore(size, frontier).root()
    assert time.perf_counter() - started < 30


# ----------------------------------------------------------------------- published proofs


def variants(honest, changes):
    """The honest arguments with each change applied in turn: one probe per change."""
    return [{**honest, **change} for change in changes]


def each_flipped(hashes, mask):
    """The hash list with one bit flipped in one element, for each element."""
    return [[*hashes[:i], flipped(hashes[i], mask), *hashes[i + 1 :]] for i in range(len(hashes))]


def corrupt_inclusion(honest):
    """The probes of transparency-dev's corruptInclusionProof that its verifier must refuse."""
    index, size, path, root_hash = honest["index"], honest["size"], honest["path"], honest["root"]
    changes = [{"index": wrong} for wrong in (index - 1, index + 1, index ^ 2)]  # wrong leaf index
    changes += [{"size": wrong} for wrong in (size * 2, size // 2)]  # wrong tree height
    changes += [{"leaf": b"WrongLeaf"}, {"root": EMPTY_ROOT}, {"root": SOME_HASH}]
    garbage = [[*path, b""], [*path, root_hash], [b"", *path], [root_hash, *path]]  # at the end, the front
    changes += [{"path": wrong} for wrong in [*garbage, *each_flipped(path, 8)]]
    if path:
        changes.append({"path": path[:-1]})
    if len(path) > 1:
        changes.append({"path": [path[0], SOME_HASH, *path[1:]]})
    return variants(honest, changes)


@pytest.mark.parametrize("vector", VECTORS["inclusion_proofs"], ids=lambda v: f"{v['index']}of{v['size']}")
def test_published_inclusion_proofs(vector):
    index, size = vector["index"], vector["size"]
    expected = [bytes.fromhex(value) for value in vector["proof"]]
    assert inclusion_proof(index, size, LEAF_HASHES) == expected
    assert root_from_inclusion_proof(LEAF_HASHES[index], index, size, expected) == ROOTS[size]
    assert verify_inclusion(LEAF_HASHES[index], index, size, expected, ROOTS[size])
    honest = {"leaf": LEAF_HASHES[index], "index": index, "size": size, "path": expected, "root": ROOTS[size]}
    for probe in corrupt_inclusion(honest):
        assert not verify_inclusion(**probe)


def test_inclusion_in_a_tree_of_one():
    """transparency-dev TestVerifyInclusionSingleEntry: the root of one leaf is that leaf's hash."""
    leaf = leaf_hash(b"data")
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(b"", 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], b"")  # a hash of the wrong size


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_refuses_bad_roots_and_leaves(index, size):
    """transparency-dev TestVerifyInclusion's probes with an empty proof."""
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def corrupt_consistency(honest):
    """The probes of transparency-dev's corruptConsistencyProof that its verifier must refuse."""
    old_size, new_size = honest["old_size"], honest["new_size"]
    old_root, new_root, proof = honest["old_root"], honest["new_root"], honest["proof"]
    wrong_sizes = [(old_size - 1, new_size), (old_size + 1, new_size), (old_size ^ 2, new_size)]
    wrong_sizes += [(old_size, new_size * 2), (old_size, new_size // 2)]
    changes = [{"old_size": old, "new_size": new} for old, new in wrong_sizes]
    changes += [
        {"old_root": b"WrongRoot"},
        {"new_root": b"WrongRoot"},
        {"old_root": new_root, "new_root": old_root},
    ]
    appended = [[*proof, extra] for extra in (b"", old_root, new_root)]
    prepended = [[extra, *proof] for extra in (b"", old_root, new_root, proof[0])]
    changes += [
        {"proof": wrong} for wrong in [[], *appended, *prepended, proof[:-1], *each_flipped(proof, 16)]
    ]
    return variants(honest, changes)


def consistency_arguments(old_size, new_size, old_root, new_root, proof):
    return {
        "old_size": old_size,
        "new_size": new_size,
        "old_root": old_root,
        "new_root": new_root,
        "proof": proof,
    }


@pytest.mark.parametrize(
    "vector", VECTORS["consistency_proofs"], ids=lambda v: f"{v['old_size']}to{v['new_size']}"
)
def test_published_consistency_proofs(vector):
    old_size, new_size = vector["old_size"], vector["new_size"]
    expected = [bytes.fromhex(value) for value in vector["proof"]]
    assert consistency_proof(old_size, new_size, LEAF_HASHES) == expected
    assert verify_consistency(old_size, new_size, ROOTS[old_size], ROOTS[new_size], expected)
    if not expected:  # as transparency-dev: only non-trivial proofs are corrupted
        return
    honest = consistency_arguments(old_size, new_size, ROOTS[old_size], ROOTS[new_size], expected)
    for probe in corrupt_consistency(honest):
        assert not verify_consistency(**probe)


EDGE_ROOTS = {"root1": leaf_hash(b"don't care 1"), "root2": leaf_hash(b"don't care 2"), "empty": EMPTY_ROOT}


@pytest.mark.parametrize(
    "case", VECTORS["consistency_edge_cases"], ids=lambda c: "{old_size}to{new_size}".format(**c)
)
def test_consistency_edge_cases(case):
    """transparency-dev TestVerifyConsistency's table, except that the empty tree's root is checked."""
    arguments = consistency_arguments(
        case["old_size"],
        case["new_size"],
        EDGE_ROOTS[case["old_root"]],
        EDGE_ROOTS[case["new_root"]],
        [EDGE_ROOTS[name] for name in case["proof"]],
    )
    assert verify_consistency(**arguments) is case["valid"]


def recorded_ranges(size):
    """A subtree callable that answers with the range asked for, to see which nodes a proof takes."""

    def subtree(start, end):
        assert 0 <= start < end <= size
        return f"{start}:{end}".encode()

    return subtree


def published_ranges(size, vector):
    """The leaf ranges of proof_test.go's node ids; the ``rehash`` run becomes one ephemeral node."""
    ranges = [(index << level, min((index + 1) << level, size)) for level, index in vector["nodes"]]
    if "rehash" in vector:
        begin, end = vector["rehash"]
        merged = ranges[begin:end]
        ranges[begin:end] = [(min(s for s, _ in merged), max(e for _, e in merged))]
    return [f"{start}:{end}".encode() for start, end in ranges]


@pytest.mark.parametrize("vector", VECTORS["inclusion_layouts"], ids=lambda v: f"{v['index']}of{v['size']}")
def test_published_inclusion_layouts(vector):
    size = vector["size"]
    assert inclusion_proof(vector["index"], size, recorded_ranges(size)) == published_ranges(size, vector)


@pytest.mark.parametrize(
    "vector", VECTORS["consistency_layouts"], ids=lambda v: f"{v['old_size']}to{v['new_size']}"
)
def test_published_consistency_layouts(vector):
    new_size = vector["new_size"]
    proof = consistency_proof(vector["old_size"], new_size, recorded_ranges(new_size))
    assert proof == published_ranges(new_size, vector)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (8, 7), (-1, 3)])
def test_inclusion_proof_of_a_missing_leaf_is_refused(index, size):
    with pytest.raises(ValueError, match="no leaf"):
        inclusion_proof(index, size, distinct_leaves(8))


@pytest.mark.parametrize(("old_size", "new_size"), [(5, 0), (9, 8), (-1, 3)])
def test_consistency_proof_backwards_is_refused(old_size, new_size):
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(old_size, new_size, distinct_leaves(9))


# ----------------------------------------------------------------------------- pymerkle


@given(st.lists(st.binary(max_size=12), min_size=1, max_size=70), st.data())
def test_pymerkle_has_the_same_roots_and_audit_paths(entries, data):
    tree = InmemoryTree.init_from_entries(entries)  # sha256, 0x00/0x01 prefixes: RFC 9162's hashing
    hashes = [leaf_hash(entry) for entry in entries]
    size = data.draw(st.integers(1, len(entries)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    assert tree.get_root(size) == root(hashes[:size])
    assert tree.get_leaf(index + 1) == hashes[index]
    # pymerkle counts leaves from one and puts the leaf itself first in its path; the rest is the
    # RFC's audit path, leaf to root.
    theirs = tree.prove_inclusion(index + 1, size).path
    assert theirs[0] == hashes[index]
    assert verify_inclusion(hashes[index], index, size, theirs[1:], tree.get_root(size))
    assert inclusion_proof(index, size, hashes) == theirs[1:]


@given(st.lists(st.binary(max_size=12), min_size=1, max_size=70), st.data())
def test_our_consistency_proofs_verify_against_pymerkle_roots(entries, data):
    """pymerkle's consistency proofs are not RFC 9162 paths (they always carry the old subtree's hash
    and split at old == k the other way), so they are checked by pymerkle and ours against its roots."""
    tree = InmemoryTree.init_from_entries(entries)
    hashes = [leaf_hash(entry) for entry in entries]
    new_size = data.draw(st.integers(1, len(entries)), label="new_size")
    old_size = data.draw(st.integers(1, new_size), label="old_size")
    old_root, new_root = tree.get_root(old_size), tree.get_root(new_size)
    tree.prove_consistency(old_size, new_size).verify(old_root, new_root, old_size, new_size)
    assert verify_consistency(
        old_size, new_size, old_root, new_root, consistency_proof(old_size, new_size, hashes)
    )


# --------------------------------------------------------------------------- properties

LEAF_POOL = distinct_leaves(1100)


@given(st.integers(0, len(LEAF_POOL)))
def test_compact_range_has_the_root_of_its_leaves(size):
    compact = CompactRange()
    compact.extend(LEAF_POOL[:size])
    assert compact.size == size
    assert len(compact.hashes) == size.bit_count()
    assert compact.root() == root(LEAF_POOL[:size])


@given(st.integers(0, 600), st.integers(0, 300))
def test_compact_range_restores_and_goes_on(size, more):
    compact = CompactRange()
    compact.extend(LEAF_POOL[:size])
    restored = CompactRange.restore(compact.size, compact.hashes)
    assert restored == compact
    assert restored.root() == compact.root()
    restored.extend(LEAF_POOL[size : size + more])
    assert restored.size == min(size + more, len(LEAF_POOL))
    assert restored.root() == root(LEAF_POOL[: size + more])
    assert compact.size == size  # the copy moved on, not the original


def test_compact_range_hashes_are_a_copy():
    compact = CompactRange()
    compact.extend(LEAF_POOL[:3])
    compact.hashes.clear()
    assert len(compact.hashes) == 2
    assert "size=3" in repr(compact)
    assert compact != "not a range"
    with pytest.raises(TypeError, match="unhashable"):
        hash(compact)


@pytest.mark.parametrize(
    ("size", "hashes", "message"),
    [
        (-1, [], "negative"),
        (3, [LEAF_POOL[0]], "has 2 hashes, not 1"),
        (4, [LEAF_POOL[0], LEAF_POOL[1]], "has 1 hashes, not 2"),
        (1, [b"short"], "32 bytes"),
    ],
)
def test_compact_range_refuses_a_frontier_that_cannot_be(size, hashes, message):
    with pytest.raises(ValueError, match=message):
        CompactRange.restore(size, hashes)


def test_compact_range_refuses_a_leaf_that_is_not_a_hash():
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"an event, not its hash")


@given(st.integers(0, 200), st.data())
def test_subtree_hasher_is_the_root_of_any_range(size, data):
    assume(size > 0)
    start = data.draw(st.integers(0, size - 1), label="start")
    end = data.draw(st.integers(start + 1, size), label="end")
    assert subtree_hasher(LEAF_POOL[:size])(start, end) == root(LEAF_POOL[start:end])


@pytest.mark.parametrize(("start", "end"), [(0, 0), (3, 2), (0, 9), (-1, 2)])
def test_subtree_hasher_refuses_ranges_outside(start, end):
    with pytest.raises(ValueError, match="no subtree"):
        subtree_hasher(LEAF_POOL[:8])(start, end)


sizes_and_index = st.integers(1, 300).flatmap(lambda size: st.tuples(st.just(size), st.integers(0, size - 1)))


@given(sizes_and_index)
def test_a_path_too_long_or_too_short_proves_no_root(size_and_index):
    """RFC 9162 §2.1.3.2 stops at a path value once ``sn`` is 0, and fails when ``sn`` is not 0 after."""
    size, index = size_and_index
    path = inclusion_proof(index, size, LEAF_POOL[:size])
    leaf = LEAF_POOL[index]
    assert root_from_inclusion_proof(leaf, index, size, path) == root(LEAF_POOL[:size])
    assert root_from_inclusion_proof(leaf, index, size, [*path, SOME_HASH]) is None
    if path:
        assert root_from_inclusion_proof(leaf, index, size, path[:-1]) is None


@given(sizes_and_index, st.data())
def test_every_inclusion_proof_verifies_and_only_for_its_leaf(size_and_index, data):
    size, index = size_and_index
    leaves = LEAF_POOL[:size]
    tree_root = root(leaves)
    path = inclusion_proof(index, size, subtree_hasher(leaves))
    assert path == inclusion_proof(index, size, leaves)
    assert len(path) <= (size - 1).bit_length()
    assert verify_inclusion(leaves[index], index, size, path, tree_root)
    # another leaf, changed or not, at this place
    assert not verify_inclusion(LEAF_POOL[size], index, size, path, tree_root)
    assert not verify_inclusion(flipped(leaves[index]), index, size, path, tree_root)
    # the same leaf at another place
    if size > 1:
        other_index = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="other index")
        assert not verify_inclusion(leaves[index], other_index, size, path, tree_root)
    # another size, with that size's root
    other_size = data.draw(st.integers(index + 1, len(LEAF_POOL)).filter(lambda s: s != size), label="size")
    assert not verify_inclusion(leaves[index], index, other_size, path, root(LEAF_POOL[:other_size]))
    # an index past the end
    assert not verify_inclusion(leaves[index], size, size, path, tree_root)


sizes_old_new = st.integers(0, 300).flatmap(lambda new: st.tuples(st.integers(0, new), st.just(new)))


@given(sizes_old_new)
def test_every_consistency_proof_verifies(old_and_new):
    old_size, new_size = old_and_new
    proof = consistency_proof(old_size, new_size, subtree_hasher(LEAF_POOL[:new_size]))
    assert proof == consistency_proof(old_size, new_size, LEAF_POOL[:new_size])
    old_root, new_root = root(LEAF_POOL[:old_size]), root(LEAF_POOL[:new_size])
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)
    if 0 < old_size < new_size:
        for probe in corrupt_consistency(
            consistency_arguments(old_size, new_size, old_root, new_root, proof)
        ):
            assert not verify_consistency(**probe)


@given(
    st.integers(1, 300).flatmap(
        lambda new: st.integers(1, new).flatmap(
            lambda old: st.tuples(st.integers(0, old - 1), st.just(old), st.just(new))
        )
    )
)
def test_a_rewritten_leaf_before_the_old_size_is_caught(changed_old_new):
    """The log rewrote leaf ``changed``: no proof from the rewritten tree reconciles the old root.

    The verifier kept ``old_root`` from before; the log shows its new root and a proof built over the
    rewritten leaves (here also the RFC proof of the honest tree, and that of the rewritten one).
    """
    changed, old_size, new_size = changed_old_new
    honest = LEAF_POOL[:new_size]
    rewritten = [*honest[:changed], flipped(honest[changed]), *honest[changed + 1 :]]
    old_root = root(honest[:old_size])
    forged_root = root(rewritten)
    for proof in (
        consistency_proof(old_size, new_size, rewritten),
        consistency_proof(old_size, new_size, honest),
    ):
        assert not verify_consistency(old_size, new_size, old_root, forged_root, proof)
    assert first_difference(new_size, subtree_hasher(honest), subtree_hasher(rewritten)) == changed
    assert first_difference(old_size, subtree_hasher(honest), subtree_hasher(rewritten)) == changed


@given(st.integers(1, 300).flatmap(lambda size: st.tuples(st.just(size), st.sets(st.integers(0, size - 1)))))
def test_first_difference_finds_the_first_changed_leaf(size_and_changes):
    size, changes = size_and_changes
    honest = LEAF_POOL[:size]
    rewritten = [flipped(leaf) if index in changes else leaf for index, leaf in enumerate(honest)]
    expected = min(changes) if changes else None
    assert first_difference(size, subtree_hasher(honest), subtree_hasher(rewritten)) == expected


def test_first_difference_of_empty_trees():
    assert first_difference(0, subtree_hasher([]), subtree_hasher([])) is None
    with pytest.raises(ValueError, match="negative"):
        first_difference(-1, subtree_hasher([]), subtree_hasher([]))


def test_every_proof_of_every_tree_up_to_64_leaves_verifies():
    """Exhaustive over small trees, so that no branch of the verifiers rests on what hypothesis drew."""
    subtree = subtree_hasher(LEAF_POOL[:64])
    roots = [root(LEAF_POOL[:size]) for size in range(65)]
    for new_size in range(65):
        for index in range(new_size):
            path = inclusion_proof(index, new_size, subtree)
            assert verify_inclusion(LEAF_POOL[index], index, new_size, path, roots[new_size])
        for old_size in range(new_size + 1):
            proof = consistency_proof(old_size, new_size, subtree)
            assert verify_consistency(old_size, new_size, roots[old_size], roots[new_size], proof)
            if old_size:  # the empty tree is a prefix of any tree, whatever its root
                assert not verify_consistency(old_size, new_size, roots[old_size], roots[new_size - 1], proof)


# -------------------------------------------------------------------------------- scale


def test_consistency_from_a_thousand_to_a_hundred_thousand_leaves():
    leaves = distinct_leaves(100_000)
    started = time.perf_counter()
    subtree = subtree_hasher(leaves)
    proof = consistency_proof(1_000, 100_000, subtree)
    new_root = subtree(0, 100_000)
    old_root = subtree(0, 1_000)
    elapsed = time.perf_counter() - started
    assert len(proof) <= 2 * (100_000).bit_length()
    assert new_root == root(leaves)
    assert old_root == root(leaves[:1_000])
    assert verify_consistency(1_000, 100_000, old_root, new_root, proof)
    # an inclusion proof over the same (now cached) subtrees costs next to nothing
    assert verify_inclusion(
        leaves[77_777], 77_777, 100_000, inclusion_proof(77_777, 100_000, subtree), new_root
    )
    assert elapsed < 30
