"""tlog-tiles: paths, bundles, incremental building, proofs from tiles and whole-log checks."""

from __future__ import annotations

import random
import time

import pytest

from undersigned.crypto.merkle import MemoryTree, leaf_hash, verify_consistency, verify_inclusion
from undersigned.crypto.note import Checkpoint, Signer, open_checkpoint, sign_checkpoint
from undersigned.crypto.tiles import (
    TileError,
    TileReader,
    TileRef,
    append_entries,
    append_tiles,
    decode_bundle,
    encode_bundle,
    encode_index,
    parse_tile_path,
    tiles_for_size,
    verify_log,
)


def entry(i: int) -> bytes:
    return b'{"i":%d}' % i


def build(sizes: list[int]) -> tuple[dict[str, bytes], list[bytes]]:
    """Build a tiled log by appending batches of the given sizes to a dict store."""
    store: dict[str, bytes] = {}
    entries: list[bytes] = []
    for n in sizes:
        batch = [entry(len(entries) + i) for i in range(n)]
        store.update(append_entries(len(entries), batch, store.__getitem__))
        entries.extend(batch)
    return store, entries


def flip(data: bytes, pos: int) -> bytes:
    return data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1 :]


@pytest.mark.parametrize(
    ("n", "encoded"),
    [(0, "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_encode_index_uses_three_digit_segments(n: int, encoded: str) -> None:
    assert encode_index(n) == encoded


def test_tile_paths_match_spec_forms() -> None:
    assert TileRef(0, 1234067).path == "tile/0/x001/x234/067"
    assert TileRef(2, 5, 17).path == "tile/2/005.p/17"
    assert TileRef(None, 1000, 1).path == "tile/entries/x001/000.p/1"


@pytest.mark.parametrize(
    "path",
    ["tile/0/x001/x234/067", "tile/63/000", "tile/entries/005.p/255", "tile/1/x999/999.p/1"],
)
def test_parse_tile_path_round_trips(path: str) -> None:
    assert parse_tile_path(path).path == path


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/5",
        "tile/0/x000/005",
        "tile/00/000",
        "tile/64/000",
        "tile/0/005.p/256",
        "tile/0/005.p/0",
        "tile/0/005.p/07",
        "tile/0/005/",
        "tile/-1/000",
        "tile/0/001/002",
        "tile/entry/000",
    ],
)
def test_parse_tile_path_non_canonical_rejected(path: str) -> None:
    with pytest.raises(TileError):
        parse_tile_path(path)


def test_tiles_for_size_matches_spec_example_70000() -> None:
    refs = tiles_for_size(70_000, entries=False)
    full0 = [r for r in refs if r.level == 0 and not r.is_partial]
    assert len(full0) == 273
    assert [r.path for r in refs if r.is_partial or (r.level or 0) > 0] == [
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ]


def test_tiles_for_size_256_has_partial_level_one() -> None:
    assert [r.path for r in tiles_for_size(256)] == [
        "tile/entries/000",
        "tile/0/000",
        "tile/1/000.p/1",
    ]


def test_bundle_round_trips_and_encodes_length_prefix() -> None:
    entries = [b"", b"a", b"x" * 65535]
    data = encode_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert decode_bundle(data, 3) == entries


@pytest.mark.parametrize("data", [b"\x00", b"\x00\x02a", b"\x00\x01a\x00"])
def test_decode_bundle_truncated_rejected(data: bytes) -> None:
    with pytest.raises(TileError):
        decode_bundle(data)


def test_decode_bundle_wrong_count_rejected() -> None:
    with pytest.raises(TileError):
        decode_bundle(encode_bundle([b"a", b"b"]), 3)


def test_encode_bundle_oversized_entry_rejected() -> None:
    with pytest.raises(TileError):
        encode_bundle([b"x" * 65536])


def test_incremental_build_equals_single_build() -> None:
    sizes = [1, 255, 2, 300, 65_000, 10, 256 * 3]
    store, entries = build(sizes)
    at_once, _ = build([len(entries)])
    assert {k: v for k, v in store.items() if k in at_once} == at_once
    assert sorted(r.path for r in tiles_for_size(len(entries))) == sorted(at_once)


def test_append_within_tile_rewrites_only_partial_tiles() -> None:
    store, _ = build([1000])
    written = append_entries(1000, [entry(1000 + i) for i in range(10)], store.__getitem__)
    # 1010 = 3 * 256 + 242: the level 1 tile still holds 3 hashes, so it is left alone.
    assert sorted(written) == ["tile/0/003.p/242", "tile/entries/003.p/242"]


def test_append_crossing_tile_boundary_completes_tile_and_updates_level_above() -> None:
    store, _ = build([1000])
    written = append_entries(1000, [entry(1000 + i) for i in range(30)], store.__getitem__)
    # 1030 = 4 * 256 + 6.
    assert sorted(written) == [
        "tile/0/003",
        "tile/0/004.p/6",
        "tile/1/000.p/4",
        "tile/entries/003",
        "tile/entries/004.p/6",
    ]


def test_append_never_rewrites_full_tiles() -> None:
    rng = random.Random(7)
    store: dict[str, bytes] = {}
    size = 0
    for _ in range(40):
        n = rng.randint(1, 700)
        written = append_entries(size, [entry(size + i) for i in range(n)], store.__getitem__)
        full_before = {p for p in store if ".p/" not in p}
        assert full_before.isdisjoint(written)
        store.update(written)
        size += n
    verify_log(store.__getitem__, size, MemoryTree(leaf_hash(entry(i)) for i in range(size)).root())


def test_append_tiles_without_fetch_on_partial_log_rejected() -> None:
    with pytest.raises(TileError):
        append_tiles(5, [leaf_hash(b"x")])


def test_tile_reader_proofs_equal_memory_tree_proofs() -> None:
    sizes = [1, 255, 256, 257, 65_536, 69_999, 70_000]
    # One batch per size, so that every size has its partial tiles, as after a checkpoint.
    store, entries = build([b - a for a, b in zip([0, *sizes], sizes, strict=False)])
    tree = MemoryTree(leaf_hash(e) for e in entries)
    rng = random.Random(1)
    for size in sizes:
        reader = TileReader(size, store.__getitem__)
        assert reader.root() == tree.root(size)
        for index in {0, size - 1, rng.randrange(size)}:
            proof = reader.inclusion_proof(index)
            assert proof == tree.inclusion_proof(index, size)
            verify_inclusion(leaf_hash(entries[index]), index, size, proof, tree.root(size))
        old = rng.randrange(size + 1)
        proof = reader.consistency_proof(old)
        assert proof == tree.consistency_proof(old, size)
        verify_consistency(old, size, proof, tree.root(old), tree.root(size))


def test_verify_log_returns_entries() -> None:
    store, entries = build([3, 600, 70_000 - 603])
    root = MemoryTree(leaf_hash(e) for e in entries).root()
    log = verify_log(store.__getitem__, len(entries), root)
    assert log.entries == entries
    assert log.size == 70_000


def test_verify_log_empty_log_accepted() -> None:
    empty: dict[str, bytes] = {}
    log = verify_log(empty.__getitem__, 0, MemoryTree().root())
    assert log.entries == []


@pytest.mark.parametrize(
    ("path", "pos"),
    [
        ("tile/0/000", 0),
        ("tile/0/002", 8191),
        ("tile/0/003.p/234", 100),
        ("tile/1/000.p/3", 40),
        ("tile/entries/001", 5),
        ("tile/entries/003.p/234", 2),
    ],
)
def test_verify_log_flipped_byte_rejected(path: str, pos: int) -> None:
    store, entries = build([1002])
    root = MemoryTree(leaf_hash(e) for e in entries).root()
    store[path] = flip(store[path], pos)
    with pytest.raises(TileError):
        verify_log(store.__getitem__, 1002, root)


def test_verify_log_truncated_tile_rejected() -> None:
    store, entries = build([300])
    store["tile/0/000"] = store["tile/0/000"][:-1]
    with pytest.raises(TileError):
        verify_log(store.__getitem__, 300, MemoryTree(leaf_hash(e) for e in entries).root())


def test_verify_log_missing_tile_rejected() -> None:
    store, entries = build([300])
    del store["tile/0/001.p/44"]
    with pytest.raises(TileError):
        verify_log(store.__getitem__, 300, MemoryTree(leaf_hash(e) for e in entries).root())


def test_verify_log_wrong_root_rejected() -> None:
    store, entries = build([300])
    with pytest.raises(TileError):
        verify_log(store.__getitem__, 300, MemoryTree(leaf_hash(e) for e in entries[:-1]).root())


def test_verify_log_missing_partial_tile_falls_back_to_full_tile() -> None:
    store, entries = build([200, 100])
    del store["tile/0/000.p/200"], store["tile/entries/000.p/200"]
    old_root = MemoryTree(leaf_hash(e) for e in entries[:200]).root()
    assert verify_log(store.__getitem__, 200, old_root).entries == entries[:200]


def test_verified_log_consistency_with_saved_checkpoint_checked() -> None:
    store, entries = build([300, 500])
    log = verify_log(store.__getitem__, 800, MemoryTree(leaf_hash(e) for e in entries).root())
    old_root = MemoryTree(leaf_hash(e) for e in entries[:300]).root()
    log.check_consistency(300, old_root)
    with pytest.raises(TileError):
        log.check_consistency(301, old_root)
    with pytest.raises(TileError):
        log.check_consistency(900, old_root)


def test_verify_log_old_size_from_current_tiles_accepted() -> None:
    # A checkpoint saved earlier can still be checked while its partial tiles are kept.
    store, entries = build([300, 500])
    old_root = MemoryTree(leaf_hash(e) for e in entries[:300]).root()
    assert verify_log(store.__getitem__, 300, old_root).entries == entries[:300]


def test_log_of_100000_entries_verifies_from_tiles_and_checkpoint() -> None:
    log_key = Signer.generate("log.example/letter-1")
    began = time.perf_counter()
    store, entries = build([10_000] * 10)
    root = TileReader(len(entries), store.__getitem__).root()
    signed = sign_checkpoint(Checkpoint(log_key.name, len(entries), root), [log_key])
    built = time.perf_counter() - began
    began = time.perf_counter()
    checkpoint, _ = open_checkpoint(signed, log_key.verifier())
    log = verify_log(store.__getitem__, checkpoint.size, checkpoint.root_hash)
    verified = time.perf_counter() - began
    print(f"\n100,000-entry log: built in {built:.2f}s, verified from tiles in {verified:.2f}s")
    assert log.entries == entries
