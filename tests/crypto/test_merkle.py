"""RFC 6962/9162 Merkle trees against the transparency-dev and CCTV vectors, plus properties."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.crypto.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_hash,
    root_from_leaf_hashes,
    subtree_consistency_proof,
    subtree_inclusion_proof,
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

VECTORS = Path(__file__).parent / "vectors" / "merkle"
TD = VECTORS / "transparency-dev"
CCTV = VECTORS / "cctv"

EXPECTED_COUNTS = {
    "inclusion": 98,
    "consistency": 98,
    "subtreeinclusion": 204,
    "subtreeconsistency": 118,
}
TD_FILES = {kind: sorted((TD / kind).rglob("*.json")) for kind in EXPECTED_COUNTS}
CCTV_FILES = sorted(CCTV.glob("*.json"))

# The leaves behind the transparency-dev vectors (its testonly package).
TD_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
TD_TREE = MemoryTree([leaf_hash(d) for d in TD_LEAVES])

# A shared tree for property tests; building it once keeps hypothesis fast.
BIG_TREE = MemoryTree(leaf_hash(i.to_bytes(4, "big")) for i in range(1100))


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def proof_of(v: dict[str, Any]) -> list[bytes]:
    return [b64(h) for h in v["proof"] or []]


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def ids(files: Sequence[Path], base: Path) -> list[str]:
    return [str(f.relative_to(base)) for f in files]


def reference_mth(hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 section 2.1 MTH, written exactly as the RFC recursion."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(reference_mth(hashes[:k]), reference_mth(hashes[k:]))


@pytest.mark.parametrize("kind", sorted(EXPECTED_COUNTS))
def test_transparency_dev_vectors_all_present(kind: str) -> None:
    assert len(TD_FILES[kind]) == EXPECTED_COUNTS[kind]


def test_cctv_vectors_all_present() -> None:
    assert [f.name for f in CCTV_FILES] == [
        "consistency-invalid.json",
        "consistency-valid.json",
        "inclusion-invalid.json",
        "inclusion-valid.json",
        "merkle_tree.json",
    ]


@pytest.mark.parametrize("path", TD_FILES["inclusion"], ids=ids(TD_FILES["inclusion"], TD))
def test_inclusion_vector_gives_expected_result(path: Path) -> None:
    v = load(path)
    args = (b64(v["leafHash"]), v["leafIdx"], v["treeSize"], proof_of(v), b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", TD_FILES["consistency"], ids=ids(TD_FILES["consistency"], TD))
def test_consistency_vector_gives_expected_result(path: Path) -> None:
    v = load(path)
    args = (v["size1"], v["size2"], proof_of(v), b64(v["root1"]), b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


@pytest.mark.parametrize(
    "path", TD_FILES["subtreeinclusion"], ids=ids(TD_FILES["subtreeinclusion"], TD)
)
def test_subtree_inclusion_vector_gives_expected_result(path: Path) -> None:
    v = load(path)
    args = (b64(v["leafHash"]), v["leafIdx"], v["start"], v["end"], proof_of(v), b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_subtree_inclusion(*args)
    else:
        verify_subtree_inclusion(*args)


@pytest.mark.parametrize(
    "path", TD_FILES["subtreeconsistency"], ids=ids(TD_FILES["subtreeconsistency"], TD)
)
def test_subtree_consistency_vector_gives_expected_result(path: Path) -> None:
    v = load(path)
    args = (v["start"], v["end"], v["size"], proof_of(v), b64(v["root1"]), b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_subtree_consistency(*args)
    else:
        verify_subtree_consistency(*args)


HAPPY = [f for kind in EXPECTED_COUNTS for f in TD_FILES[kind] if f.name.startswith("happy-path")]


def test_happy_path_vectors_all_present() -> None:
    assert len(HAPPY) == 25


@pytest.mark.parametrize("path", HAPPY, ids=ids(HAPPY, TD))
def test_generated_proof_equals_happy_path_vector(path: Path) -> None:
    v = load(path)
    kind = path.parent.parent.name if path.parent.name.isdigit() else path.parent.name
    node = TD_TREE.node
    if kind == "inclusion":
        assert TD_TREE.root(v["treeSize"]) == b64(v["root"])
        generated = inclusion_proof(v["leafIdx"], v["treeSize"], node)
    elif kind == "consistency":
        assert TD_TREE.root(v["size2"]) == b64(v["root2"])
        generated = consistency_proof(v["size1"], v["size2"], node)
    elif kind == "subtreeinclusion":
        # These vectors place the reference leaves at the subtree's start.
        filler = [leaf_hash(b"filler")] * v["start"]
        node = MemoryTree(filler + [leaf_hash(d) for d in TD_LEAVES]).node
        assert range_hash(v["start"], v["end"], node) == b64(v["root"])
        generated = subtree_inclusion_proof(v["leafIdx"], v["start"], v["end"], node)
    else:
        assert range_hash(v["start"], v["end"], node) == b64(v["root1"])
        generated = subtree_consistency_proof(v["start"], v["end"], v["size"], node)
    assert generated == proof_of(v)


def cctv_cases(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = load(CCTV / name)
    return cases


def cctv_tree() -> MemoryTree:
    return MemoryTree(b64(c["leaf_hash"]) for c in cctv_cases("merkle_tree.json"))


def test_cctv_merkle_tree_leaf_hashes_and_roots_match() -> None:
    cases = cctv_cases("merkle_tree.json")
    assert len(cases) == 16
    hashes: list[bytes] = []
    compact = CompactRange()
    for case in cases:
        h = leaf_hash(case["leaf_data"].encode())
        assert h == b64(case["leaf_hash"])
        hashes.append(h)
        compact.append(h)
        assert root_from_leaf_hashes(hashes) == b64(case["root_hash"])
        assert compact.root() == b64(case["root_hash"])
        assert reference_mth(hashes) == b64(case["root_hash"])


@pytest.mark.parametrize("name", ["inclusion-valid.json", "inclusion-invalid.json"])
def test_cctv_inclusion_cases_give_expected_result(name: str) -> None:
    cases = cctv_cases(name)
    assert len(cases) == 4
    tree = cctv_tree()
    for c in cases:
        proof = [b64(h) for h in c["inclusion_path"]]
        args = (b64(c["leaf_hash"]), c["leaf_index"], c["tree_size"], proof, b64(c["root_hash"]))
        if name == "inclusion-valid.json":
            verify_inclusion(*args)
            assert tree.inclusion_proof(c["leaf_index"], c["tree_size"]) == proof
        else:
            with pytest.raises(ProofError):
                verify_inclusion(*args)


@pytest.mark.parametrize("name", ["consistency-valid.json", "consistency-invalid.json"])
def test_cctv_consistency_cases_give_expected_result(name: str) -> None:
    cases = cctv_cases(name)
    assert len(cases) == (4 if name == "consistency-valid.json" else 16)
    tree = cctv_tree()
    for c in cases:
        proof = [b64(h) for h in c["consistency_path"]]
        args = (c["old_size"], c["new_size"], proof, b64(c["old_root"]), b64(c["new_root"]))
        if name == "consistency-valid.json":
            verify_consistency(*args)
            assert tree.consistency_proof(c["old_size"], c["new_size"]) == proof
        else:
            with pytest.raises(ProofError):
                verify_consistency(*args)


@settings(deadline=None)
@given(st.data())
def test_inclusion_proof_verifies_for_random_sizes(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, BIG_TREE.size))
    index = data.draw(st.integers(0, size - 1))
    root = BIG_TREE.root(size)
    proof = BIG_TREE.inclusion_proof(index, size)
    verify_inclusion(BIG_TREE.node(0, index), index, size, proof, root)
    if proof:
        tampered = list(proof)
        tampered[-1] = bytes([tampered[-1][0] ^ 1]) + tampered[-1][1:]
        with pytest.raises(ProofError):
            verify_inclusion(BIG_TREE.node(0, index), index, size, tampered, root)


@settings(deadline=None)
@given(st.data())
def test_consistency_proof_verifies_for_random_sizes(data: st.DataObject) -> None:
    size2 = data.draw(st.integers(0, BIG_TREE.size))
    size1 = data.draw(st.integers(0, size2))
    root1, root2 = BIG_TREE.root(size1), BIG_TREE.root(size2)
    proof = BIG_TREE.consistency_proof(size1, size2)
    verify_consistency(size1, size2, proof, root1, root2)
    if 0 < size1 < size2:
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, proof, root1, BIG_TREE.root(size2 - 1))
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, proof[:-1], root1, root2)


@settings(deadline=None)
@given(st.data())
def test_subtree_proofs_verify_for_random_subtrees(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, BIG_TREE.size))
    height = data.draw(st.integers(0, (size - 1).bit_length()))
    slot = data.draw(st.integers(0, (size - 1) >> height))
    start = slot << height
    end = data.draw(st.integers(start + 1, min(size, start + (1 << height))))
    index = data.draw(st.integers(start, end - 1))
    node = BIG_TREE.node
    subtree_root = range_hash(start, end, node)
    proof = subtree_inclusion_proof(index, start, end, node)
    verify_subtree_inclusion(node(0, index), index, start, end, proof, subtree_root)
    proof = subtree_consistency_proof(start, end, size, node)
    verify_subtree_consistency(start, end, size, proof, subtree_root, BIG_TREE.root(size))


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=70))
def test_roots_agree_with_rfc_recursion(hashes: list[bytes]) -> None:
    compact = CompactRange()
    compact.extend(hashes)
    expected = reference_mth(hashes)
    assert root_from_leaf_hashes(hashes) == expected
    assert compact.root() == expected
    assert MemoryTree(hashes).root() == expected


def test_compact_range_resumes_from_saved_state() -> None:
    first = CompactRange()
    first.extend(BIG_TREE.node(0, i) for i in range(613))
    resumed = CompactRange(first.size, first.hashes)
    resumed.extend(BIG_TREE.node(0, i) for i in range(613, 1100))
    assert resumed.root() == BIG_TREE.root()


def test_compact_range_rejects_inconsistent_state() -> None:
    with pytest.raises(ProofError):
        CompactRange(3, [EMPTY_ROOT])


def test_inclusion_proof_rejects_out_of_range_index() -> None:
    with pytest.raises(ProofError):
        BIG_TREE.inclusion_proof(10, 10)


def test_subtree_proof_rejects_misaligned_subtree() -> None:
    with pytest.raises(ProofError):
        subtree_consistency_proof(2, 5, 8, BIG_TREE.node)


def test_root_of_million_leaves_is_fast() -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(1_000_000)]
    began = time.perf_counter()
    root = root_from_leaf_hashes(hashes)
    batch = time.perf_counter() - began
    compact = CompactRange()
    compact.extend(hashes)
    incremental = time.perf_counter() - began - batch
    print(f"\n1,000,000-leaf root: {batch:.2f}s batch, {incremental:.2f}s incremental")
    assert compact.root() == root
