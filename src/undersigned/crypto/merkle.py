"""RFC 6962 / RFC 9162 Merkle trees: hashing, roots, inclusion and consistency proofs.

Proof generation reads *perfect* nodes (aligned subtrees of 2**level leaves) through a
``NodeReader`` callback, so the same code serves an in-memory tree and a tiled log. Subtree
inclusion and subtree consistency proofs follow draft-ietf-plants-merkle-tree-certs as implemented
by github.com/transparency-dev/merkle; plain consistency proofs are the special case start = 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "MemoryTree",
    "NodeReader",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "range_hash",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "subtree_consistency_proof",
    "subtree_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index) -> hash of leaves [index * 2**level, (index + 1) * 2**level).
NodeReader = Callable[[int, int], bytes]

_sha256 = hashlib.sha256


class ProofError(ValueError):
    """A proof, root or argument does not check out."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash of the given leaf hashes (EMPTY_ROOT for none)."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    # Pairing bottom-up and promoting an odd last node yields exactly RFC 6962's
    # split-at-largest-power-of-two tree, with no recursion and one hash per interior node.
    while len(level) > 1:
        nxt = [
            _sha256(b"\x01" + a + b).digest()
            for a, b in zip(level[0::2], level[1::2], strict=False)
        ]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


class CompactRange:
    """Append-only accumulator of the perfect subtree roots covering [0, size).

    Memory is O(log size); appending costs amortised one hash per leaf. It is what a sequencer
    keeps between batches to compute the next root without rereading the log.
    """

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        # hashes: roots of the perfect subtrees for the set bits of size, largest first.
        self._hashes = list(hashes)
        self._size = size
        if size < 0 or len(self._hashes) != size.bit_count():
            raise ProofError("compact range needs one hash per set bit of its size")

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        return list(self._hashes)

    def append(self, leaf: bytes) -> None:
        node = leaf
        size = self._size
        # Each trailing one bit of the old size is a left sibling that now has its right half.
        while size & 1:
            node = _sha256(b"\x01" + self._hashes.pop() + node).digest()
            size >>= 1
        self._hashes.append(node)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        root = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            root = _sha256(b"\x01" + h + root).digest()
        return root


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(start: int, end: int, read_node: NodeReader) -> bytes:
    """MTH(D[start:end]) for a range that is a node of some RFC 6962 tree.

    Such a range (start a multiple of a power of two >= end - start) is the fold of the perfect
    subtrees given by the binary digits of its width, largest on the left.
    """
    if end <= start:
        raise ProofError(f"empty or inverted range [{start}, {end})")
    parts: list[bytes] = []
    pos = start
    width = end - start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            if pos % (1 << level):
                raise ProofError(f"range [{start}, {end}) is not a subtree")
            parts.append(read_node(level, pos >> level))
            pos += 1 << level
    root = parts[-1]
    for h in reversed(parts[:-1]):
        root = node_hash(h, root)
    return root


def _check_subtree(start: int, end: int) -> None:
    if start < 0 or end <= start:
        raise ProofError(f"subtree [{start}, {end}) is empty or inverted")
    width = end - start
    if start % (1 << (width - 1).bit_length()):
        raise ProofError(f"[{start}, {end}) is not a valid subtree: misaligned start")


def _path(index: int, lo: int, hi: int, read_node: NodeReader) -> list[bytes]:
    # RFC 9162 PATH(index - lo, D[lo:hi]), built leaf-sibling first.
    proof: list[bytes] = []
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            proof.append(range_hash(lo + k, hi, read_node))
            hi = lo + k
        else:
            proof.append(range_hash(lo, lo + k, read_node))
            lo += k
    proof.reverse()
    return proof


def inclusion_proof(index: int, size: int, read_node: NodeReader) -> list[bytes]:
    """Inclusion proof for leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    return _path(index, 0, size, read_node)


def subtree_inclusion_proof(index: int, start: int, end: int, read_node: NodeReader) -> list[bytes]:
    """Inclusion proof for leaf ``index`` in the subtree [start, end)."""
    _check_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"index {index} is outside subtree [{start}, {end})")
    return _path(index, start, end, read_node)


def _subproof(start: int, end: int, lo: int, hi: int, known: bool, read: NodeReader) -> list[bytes]:
    # RFC 9162 SUBPROOF generalised to a subtree [start, end) inside node [lo, hi).
    if start == lo and end == hi:
        return [] if known else [range_hash(lo, hi, read)]
    k = _largest_power_of_two_below(hi - lo)
    mid = lo + k
    if end <= mid:
        return [*_subproof(start, end, lo, mid, known, read), range_hash(mid, hi, read)]
    if start >= mid:
        return [*_subproof(start, end, mid, hi, known, read), range_hash(lo, mid, read)]
    # A valid subtree straddling mid must start at lo; its right part is a new, unknown prefix.
    return [*_subproof(mid, end, mid, hi, False, read), range_hash(lo, mid, read)]


def subtree_consistency_proof(
    start: int, end: int, size: int, read_node: NodeReader
) -> list[bytes]:
    """Proof that subtree [start, end) is part of the tree of ``size`` leaves."""
    _check_subtree(start, end)
    if end > size:
        raise ProofError(f"subtree end {end} exceeds tree size {size}")
    return _subproof(start, end, 0, size, True, read_node)


def consistency_proof(size1: int, size2: int, read_node: NodeReader) -> list[bytes]:
    """RFC 9162 consistency proof between tree sizes ``size1`` <= ``size2``."""
    if not 0 <= size1 <= size2:
        raise ProofError(f"need 0 <= size1 <= size2, got {size1}, {size2}")
    if size1 == 0 or size1 == size2:
        return []
    return _subproof(0, size1, 0, size2, True, read_node)


class MemoryTree:
    """All levels of a tree held in memory; convenient for tests and small logs."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        for leaf in leaf_hashes:
            self._levels[0].append(leaf)
            level = 0
            # A node is complete when its right child arrives: that is, at an even length.
            while len(self._levels[level]) % 2 == 0:
                row = self._levels[level]
                if level + 1 == len(self._levels):
                    self._levels.append([])
                self._levels[level + 1].append(node_hash(row[-2], row[-1]))
                level += 1

    def node(self, level: int, index: int) -> bytes:
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise ProofError(f"node ({level}, {index}) is not in the tree")

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ProofError(f"size {size} is outside the tree of size {self.size}")
        return EMPTY_ROOT if size == 0 else range_hash(0, size, self.node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.node)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        return consistency_proof(size1, self.size if size2 is None else size2, self.node)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, want {HASH_SIZE}")


def _check_proof(proof: Sequence[bytes]) -> None:
    for i, h in enumerate(proof):
        _check_hash(h, f"proof[{i}]")


def _mismatch(calculated: bytes, expected: bytes, what: str) -> None:
    if calculated != expected:
        raise ProofError(
            f"{what} mismatch: calculated {calculated.hex()}, expected {expected.hex()}"
        )


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """Root implied by an inclusion proof; raises ProofError if its shape is wrong."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    _check_hash(leaf, "leaf hash")
    _check_proof(proof)
    # Below the level where the paths to index and size-1 fork, siblings sit on either side;
    # above it the tree's right border leaves only left siblings.
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    if len(proof) != inner + border:
        raise ProofError(f"inclusion proof has {len(proof)} hashes, want {inner + border}")
    node = leaf
    for i, h in enumerate(proof[:inner]):
        node = node_hash(node, h) if (index >> i) & 1 == 0 else node_hash(h, node)
    for h in proof[inner:]:
        node = node_hash(h, node)
    return node


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is at ``index`` in the tree of ``size`` with ``root``."""
    _mismatch(root_from_inclusion_proof(leaf, index, size, proof), root, "inclusion root")


def verify_subtree_inclusion(
    leaf: bytes, index: int, start: int, end: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is at ``index`` in subtree [start, end) whose hash is ``root``."""
    _check_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"index {index} is outside subtree [{start}, {end})")
    calculated = root_from_inclusion_proof(leaf, index - start, end - start, proof)
    _mismatch(calculated, root, "subtree root")


def _grow_subtree(
    seed: bytes, proof: Sequence[bytes], start: int, end: int, size: int
) -> tuple[bytes, bytes, Sequence[bytes]]:
    # Rebuild the [start, end) node twice from the same proof hashes: as it was (tree ending at
    # end) and as it is in the tree of `size`, where right siblings below the fork level exist.
    shift = ((end - start) & -(end - start)).bit_length() - 1
    height = ((end - 1) ^ start).bit_length()
    fork = ((end - 1) ^ (size - 1)).bit_length()
    old = grown = seed
    i = 0
    for level in range(shift, height):
        if ((end - 1) >> level) & 1:
            old = node_hash(proof[i], old)
            grown = node_hash(proof[i], grown)
            i += 1
        elif level < fork:
            grown = node_hash(grown, proof[i])
            i += 1
    return old, grown, proof[i:]


def _root_from_subtree_proof(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree_root: bytes
) -> bytes:
    height = ((end - 1) ^ start).bit_length()
    if end == size:
        # Only left siblings remain above the subtree: one per set bit of its index.
        want = (start >> height).bit_count()
        if len(proof) != want:
            raise ProofError(f"consistency proof has {len(proof)} hashes, want {want}")
        node = subtree_root
        for h in proof:
            node = node_hash(h, node)
        return node
    fork = ((end - 1) ^ (size - 1)).bit_length()
    shift = ((end - start) & -(end - start)).bit_length() - 1
    # A perfect subtree's own hash is known to the verifier, so the proof omits it.
    if end - start == 1 << shift:
        seed, rest = subtree_root, proof
    else:
        if not proof:
            raise ProofError("consistency proof is empty")
        seed, rest = proof[0], proof[1:]
    want = len(proof) - len(rest) + (fork - shift) + ((end - 1) >> fork).bit_count()
    if len(proof) != want:
        raise ProofError(f"consistency proof has {len(proof)} hashes, want {want}")
    old, grown, remaining = _grow_subtree(seed, rest, start, end, size)
    _mismatch(old, subtree_root, "old root")
    # The grown node is a leaf of the tree shifted up by `height` levels.
    return root_from_inclusion_proof(grown, start >> height, ((size - 1) >> height) + 1, remaining)


def root_from_consistency_proof(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree_root: bytes
) -> bytes:
    """Root of the tree of ``size`` implied by subtree [start, end) and a consistency proof."""
    _check_subtree(start, end)
    if size < end:
        raise ProofError(f"tree size {size} is smaller than subtree end {end}")
    _check_proof(proof)
    if start == 0 and end == size:
        if proof:
            raise ProofError("subtree is the whole tree, but the proof is not empty")
        return subtree_root
    if not proof:
        raise ProofError("consistency proof is empty")
    _check_hash(subtree_root, "subtree root")
    return _root_from_subtree_proof(start, end, size, proof, subtree_root)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the tree ``size1``/``root1``."""
    if size1 < 0 or size2 < size1:
        raise ProofError(f"need 0 <= size1 <= size2, got {size1}, {size2}")
    if size1 == size2:
        if proof:
            raise ProofError("sizes are equal, but the proof is not empty")
        _mismatch(root1, root2, "root")
        if size1 == 0:
            _mismatch(root1, EMPTY_ROOT, "empty tree root")
        return
    if size1 == 0:
        # Every tree extends the empty tree; all that can be checked is the shape of the inputs.
        if proof:
            raise ProofError("consistency from the empty tree needs an empty proof")
        _mismatch(root1, EMPTY_ROOT, "empty tree root")
        _check_hash(root2, "new root")
        return
    _mismatch(root_from_consistency_proof(0, size1, size2, proof, root1), root2, "new root")


def verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree_root: bytes, root: bytes
) -> None:
    """Check that subtree [start, end) with ``subtree_root`` is in the tree ``size``/``root``."""
    if start == end:
        # The empty subtree is part of every tree; the proof must be empty and its root exact.
        if start < 0 or start > size:
            raise ProofError(f"empty subtree at {start} is outside a tree of size {size}")
        if proof:
            raise ProofError("empty subtree needs an empty proof")
        _mismatch(subtree_root, EMPTY_ROOT, "empty subtree root")
        return
    _mismatch(root_from_consistency_proof(start, end, size, proof, subtree_root), root, "root")
