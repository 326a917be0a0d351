"""The Merkle tree of RFC 9162 (Certificate Transparency v2) — cây Merkle của sổ sự kiện.

Every stored event becomes one leaf of an append-only Merkle tree, so that a published root (a
checkpoint) commits to the whole history: changing, dropping or reordering any earlier event changes
every later root, and two proofs show it without handing over the events themselves:

* an *inclusion proof* (bằng chứng thuộc về, RFC 9162 §2.1.3) — this event is leaf ``index`` of the
  tree of ``size`` leaves whose root is ``root``;
* a *consistency proof* (bằng chứng nhất quán, §2.1.4) — the tree of ``old_size`` leaves is a prefix
  of the tree of ``new_size`` leaves, i.e. nothing recorded before was rewritten.

Hashing is SHA-256 with RFC 9162's domain separation: a leaf is ``SHA-256(0x00 ‖ data)``, an interior
node ``SHA-256(0x01 ‖ left ‖ right)``, the empty tree ``SHA-256("")``. All functions here work on
*leaf hashes* (the output of :func:`leaf_hash`), never on the events themselves.

The store keeps a :class:`CompactRange` (the Merkle frontier, "biên phải" of the tree: the roots of its
O(log n) perfect subtrees, left to right) in one row and updates it in O(log n) per appended event in
the same transaction as the events. The proof generators do not need the leaves in memory: they take a
``subtree(start, end)`` callable returning the hash of the leaves ``[start, end)``, which a store can
compute from its stored leaf hashes (and cache); :func:`subtree_hasher` builds one from a list.

Pure: standard library only, no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TypeAlias

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the tree with no leaves (cây rỗng): SHA-256 of the empty string, RFC 9162 §2.1.1."""

Subtree: TypeAlias = Callable[[int, int], bytes]
"""``subtree(start, end)`` — the Merkle Tree Hash of the leaves ``[start, end)``, ``start < end``."""

Leaves: TypeAlias = Sequence[bytes] | Subtree
"""The leaf hashes themselves, or a :data:`Subtree` callable over them."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf (lá): ``SHA-256(0x00 ‖ data)``."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node (nút trong): ``SHA-256(0x01 ‖ left ‖ right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(width: int) -> int:
    """The size of the left subtree of ``width`` > 1 leaves: the largest power of two below ``width``."""
    return 1 << ((width - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash (gốc cây) of the given *leaf hashes*, RFC 9162 §2.1.1.

    Computed level by level (pairs hashed, an odd last node carried up unchanged), which gives the
    RFC's recursive definition without recursion: a million leaves take a million node hashes.
    """
    level = list(leaves)
    if not level:
        return EMPTY_ROOT
    sha256 = hashlib.sha256
    while len(level) > 1:
        paired = [
            sha256(NODE_PREFIX + left + right).digest()
            for left, right in zip(level[::2], level[1::2], strict=False)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _fold(hashes: Sequence[bytes]) -> bytes:
    """The root over perfect subtrees given left to right, largest first: fold from the right."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, not {len(value)}")


class CompactRange:
    """The Merkle frontier (biên Merkle) of a tree of ``size`` leaves.

    It holds one hash per set bit of ``size``: the roots of the perfect subtrees that make up the tree,
    left to right, largest first (for 7 leaves: the subtrees over ``[0, 4)``, ``[4, 6)``, ``[6, 7)``).
    That is all that appending and computing the root need, so a store can keep it in one row
    (:attr:`size` and :attr:`hashes`), rebuild it with :meth:`restore` and :meth:`append` to it in
    O(log n) per event.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        """An empty range: no leaves, root :data:`EMPTY_ROOT`."""
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def restore(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """The range saved as ``size`` and ``hashes`` (khôi phục); refuses hashes that cannot belong.

        ``hashes`` must hold exactly one 32-byte hash per set bit of ``size``.
        """
        if size < 0:
            raise ValueError(f"size must not be negative, not {size}")
        if len(hashes) != size.bit_count():
            raise ValueError(f"a range of {size} leaves has {size.bit_count()} hashes, not {len(hashes)}")
        for position, value in enumerate(hashes):
            _check_hash(value, f"hash {position}")
        restored = cls()
        restored._size = size
        restored._hashes = list(hashes)
        return restored

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """The frontier's hashes, left to right (a copy, to store beside :attr:`size`)."""
        return list(self._hashes)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash (thêm lá) on the right: merges the equal-sized subtrees it completes."""
        _check_hash(leaf, "leaf hash")
        carried = leaf
        size = self._size
        while size & 1:
            carried = node_hash(self._hashes.pop(), carried)
            size >>= 1
        self._hashes.append(carried)
        self._size += 1

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Add the leaf hashes in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """The root of the tree over the leaves appended so far (equal to :func:`root` over them)."""
        if not self._hashes:
            return EMPTY_ROOT
        return _fold(self._hashes)

    def __eq__(self, other: object) -> bool:
        """Two ranges are equal when they have the same size and hashes."""
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]  # it changes as leaves are appended: not a dict key

    def __repr__(self) -> str:
        """``CompactRange.restore(size, [hex…])``, short."""
        shown = ", ".join(value.hex()[:12] for value in self._hashes)
        return f"CompactRange(size={self._size}, hashes=[{shown}])"


def subtree_hasher(leaves: Sequence[bytes]) -> Subtree:
    """A :data:`Subtree` callable over a list of leaf hashes.

    The ranges a proof or :func:`first_difference` asks for are nodes of the tree: perfect subtrees
    ``[i·2^k, (i+1)·2^k)`` and ragged ones on the right edge, which are made of aligned perfect pieces.
    The callable caches the root of every perfect subtree it computes, so proofs over the same list
    share work — each perfect subtree is hashed once, and a ragged one costs O(log n) more hashes per
    call. Any other range (not aligned) is computed from its leaves without the cache.
    """
    cache: dict[tuple[int, int], bytes] = {}

    def perfect(level: int, index: int) -> bytes:
        """The root of the perfect subtree of ``2**level`` leaves starting at ``index * 2**level``."""
        if level == 0:
            return leaves[index]
        key = (level, index)
        found = cache.get(key)
        if found is None:
            found = node_hash(perfect(level - 1, 2 * index), perfect(level - 1, 2 * index + 1))
            cache[key] = found
        return found

    def subtree(start: int, end: int) -> bytes:
        if not 0 <= start < end <= len(leaves):
            raise ValueError(f"no subtree [{start}, {end}) in {len(leaves)} leaves")
        pieces: list[bytes] = []
        offset, remaining = start, end - start
        while remaining:
            width = 1 << (remaining.bit_length() - 1)
            if offset % width:
                pieces.append(root(leaves[offset : offset + width]))
            else:
                pieces.append(perfect(width.bit_length() - 1, offset // width))
            offset += width
            remaining -= width
        return _fold(pieces)

    return subtree


def _subtree_of(leaves: Leaves) -> Subtree:
    if callable(leaves):
        return leaves
    return subtree_hasher(leaves)


def inclusion_proof(index: int, size: int, leaves: Leaves) -> list[bytes]:
    """The audit path (đường kiểm tra) of leaf ``index`` in the tree of ``size`` leaves, §2.1.3.1.

    ``leaves`` is the list of leaf hashes or a :data:`Subtree` callable over them. The path goes from
    the leaf's sibling up to the child of the root, as in the RFC; it is empty for a tree of one leaf.
    """
    if not 0 <= index < size:
        raise ValueError(f"no leaf {index} in a tree of {size} leaves")
    subtree = _subtree_of(leaves)
    siblings: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            siblings.append(subtree(middle, end))
            end = middle
        else:
            siblings.append(subtree(start, middle))
            start = middle
    siblings.reverse()
    return siblings


def _shift_to_set_bit(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift both until the lowest bit of ``fn`` is set or ``fn`` is 0 (RFC 9162 §2.1.3.2, §2.1.4.2)."""
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root that ``path`` proves ``leaf`` at ``index`` to be under, or ``None`` if it cannot be.

    The algorithm of RFC 9162 §2.1.3.2 without its last comparison; ``None`` when ``index`` is not
    below ``size``, when the path is too short or too long for them, or when a hash is not 32 bytes.
    """
    if not 0 <= index < size:
        return None
    if len(leaf) != HASH_SIZE or any(len(value) != HASH_SIZE for value in path):
        return None
    fn, sn = index, size - 1
    result = leaf
    for value in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(value, result)
            fn, sn = _shift_to_set_bit(fn, sn)
        else:
            result = node_hash(result, value)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return result


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """Whether ``path`` proves that ``leaf`` (a leaf hash) is leaf ``index`` of ``root``, §2.1.3.2."""
    computed = root_from_inclusion_proof(leaf, index, size, path)
    return computed is not None and computed == root


def consistency_proof(old_size: int, new_size: int, leaves: Leaves) -> list[bytes]:
    """The proof that the tree of ``old_size`` leaves is a prefix of that of ``new_size``, §2.1.4.1.

    ``leaves`` is the list of leaf hashes (at least ``new_size``) or a :data:`Subtree` callable over
    them. The proof is ``SUBPROOF(m, D[n], true)``; it is empty when ``old_size`` is 0 or equals
    ``new_size`` (the RFC defines proofs for ``0 < m < n``; these two are consistent by definition).
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
    if old_size in {0, new_size}:
        return []
    subtree = _subtree_of(leaves)
    siblings: list[bytes] = []
    start, end = 0, new_size
    whole_old_tree = True  # the RFC's flag b: [start, end) is the whole old tree, whose root the verifier has
    while old_size != end:
        middle = start + _split(end - start)
        if old_size <= middle:
            siblings.append(subtree(middle, end))
            end = middle
        else:
            siblings.append(subtree(start, middle))
            start = middle
            whole_old_tree = False
    proof = [] if whole_old_tree else [subtree(start, end)]
    proof.extend(reversed(siblings))
    return proof


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``old_root`` of ``old_size`` leaves to be a prefix of ``new_root``.

    For ``0 < old_size < new_size`` this is the algorithm of RFC 9162 §2.1.4.2, step by step. The RFC
    defines no proof for the other sizes; here, as in transparency-dev/merkle, the proof must then be
    empty and: for equal sizes the roots equal, for ``old_size == 0`` the old root be :data:`EMPTY_ROOT`
    (the empty tree is a prefix of every tree; transparency-dev does not check that root). Sizes in the
    wrong order, hashes that are not 32 bytes and a proof of the wrong length are refused.
    """
    if not 0 <= old_size <= new_size:
        return False
    if any(len(value) != HASH_SIZE for value in (old_root, new_root, *proof)):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    return bool(proof) and _walk_consistency_path(old_size, new_size, old_root, new_root, proof)


def _walk_consistency_path(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Steps 2 to 7 of RFC 9162 §2.1.4.2 (step 1, an empty path fails, is the caller's)."""
    # 2. If first is an exact power of 2, first_hash is prepended to the path.
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    # 3.-4. fn = first - 1, sn = second - 1, shifted right together while fn's lowest bit is set.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. fr and sr start at the first value of the path.
    fr = sr = path[0]
    # 6. Each further value c extends sr, and fr too where c lies left of the old tree's edge.
    for value in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(value, fr)
            sr = node_hash(value, sr)
            fn, sn = _shift_to_set_bit(fn, sn)
        else:
            sr = node_hash(sr, value)
        fn >>= 1
        sn >>= 1
    # 7. Both roots are reproduced and the whole new tree was walked.
    return fr == old_root and sr == new_root and sn == 0


def first_difference(size: int, subtree_a: Subtree, subtree_b: Subtree) -> int | None:
    """The first leaf index below ``size`` where two trees differ (lá đầu tiên bị đổi), or ``None``.

    A binary search over subtree hashes, down the RFC's left/right split: O(log n) pairs of subtree
    hashes, which tells which stored event was changed when a consistency check fails.
    """
    if size < 0:
        raise ValueError(f"size must not be negative, not {size}")
    if size == 0 or subtree_a(0, size) == subtree_b(0, size):
        return None
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if subtree_a(start, middle) != subtree_b(start, middle):
            end = middle
        else:
            start = middle
    return start
