"""C2SP tlog-tiles: tile paths, entry bundles, incremental tile building and whole-log checks.

A tile at level L holds up to 256 consecutive hashes of level 8*L of the Merkle tree. Tiles are
built incrementally: appending a batch only rewrites the rightmost (partial) tile of each level and
adds new ones, so full tiles, once written, never change and can be cached forever.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    range_hash,
    root_from_leaf_hashes,
)

__all__ = [
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Fetch",
    "TileError",
    "TileReader",
    "TileRef",
    "VerifiedLog",
    "append_entries",
    "append_tiles",
    "decode_bundle",
    "encode_bundle",
    "encode_index",
    "parse_tile_path",
    "tiles_for_size",
    "verify_log",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_SIZE = 0xFFFF
_MAX_LEVEL = 63

Fetch = Callable[[str], bytes]


class TileError(ProofError):
    """A tile, entry bundle or tile path is malformed or does not match the tree."""


def encode_index(n: int) -> str:
    """Tile index as zero-padded 3-digit path elements: 1234067 -> 'x001/x234/067'."""
    if n < 0:
        raise TileError(f"negative tile index {n}")
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        parts.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(parts))


@dataclass(frozen=True)
class TileRef:
    """One tile resource; ``level`` is None for an entry bundle."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if self.level is not None and not 0 <= self.level <= _MAX_LEVEL:
            raise TileError(f"tile level {self.level} is outside 0..{_MAX_LEVEL}")
        if self.index < 0 or not 1 <= self.width <= TILE_WIDTH:
            raise TileError(f"bad tile index {self.index} or width {self.width}")

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        kind = "entries" if self.level is None else str(self.level)
        suffix = f".p/{self.width}" if self.is_partial else ""
        return f"tile/{kind}/{encode_index(self.index)}{suffix}"


_PATH_RE = re.compile(
    r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]*))?"
)


def parse_tile_path(path: str) -> TileRef:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``, canonical forms only."""
    m = _PATH_RE.fullmatch(path)
    if m is None:
        raise TileError(f"not a tile path: {path!r}")
    kind, digits, width = m.groups()
    index = int(digits.replace("x", "").replace("/", ""))
    ref = TileRef(
        None if kind == "entries" else int(kind), index, TILE_WIDTH if width is None else int(width)
    )
    # Round-tripping rejects 'x000/005', '.p/256' and the like.
    if ref.path != path or (width is not None and not ref.is_partial):
        raise TileError(f"non-canonical tile path: {path!r}")
    return ref


def _tile_refs(level: int | None, count: int, first: int = 0) -> list[TileRef]:
    # Tiles covering hashes [first_tile * 256, count) of one level, the last one maybe partial.
    refs = [TileRef(level, i) for i in range(first, count // TILE_WIDTH)]
    if count % TILE_WIDTH:
        refs.append(TileRef(level, count // TILE_WIDTH, count % TILE_WIDTH))
    return refs


def tiles_for_size(size: int, *, entries: bool = True) -> list[TileRef]:
    """Every hash tile (and entry bundle) a log of ``size`` leaves must serve."""
    refs = _tile_refs(None, size) if entries else []
    level, count = 0, size
    while count:
        refs.extend(_tile_refs(level, count))
        level, count = level + 1, count // TILE_WIDTH
    return refs


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """Entry bundle: each entry prefixed by its big-endian uint16 length."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise TileError(f"entry of {len(entry)} bytes exceeds {MAX_ENTRY_SIZE}")
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def decode_bundle(data: bytes, count: int | None = None) -> list[bytes]:
    """Split an entry bundle; if ``count`` is given, insist on exactly that many entries."""
    entries: list[bytes] = []
    pos, end = 0, len(data)
    while pos < end:
        if pos + 2 > end:
            raise TileError("entry bundle ends inside a length prefix")
        n = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + n > end:
            raise TileError("entry bundle ends inside an entry")
        entries.append(bytes(data[pos : pos + n]))
        pos += n
    if count is not None and len(entries) != count:
        raise TileError(f"entry bundle has {len(entries)} entries, want {count}")
    return entries


def _read(fetch: Fetch, ref: TileRef) -> bytes:
    # Missing resources become TileError; a missing partial tile falls back to the full tile,
    # as the spec allows, since logs may delete partial tiles once the full one exists.
    try:
        return fetch(ref.path)
    except (LookupError, OSError) as exc:
        if not ref.is_partial:
            raise TileError(f"cannot fetch {ref.path}: {exc!r}") from exc
    full = TileRef(ref.level, ref.index)
    try:
        data = fetch(full.path)
    except (LookupError, OSError) as exc:
        raise TileError(f"cannot fetch {ref.path} or {full.path}: {exc!r}") from exc
    if ref.level is None:
        return encode_bundle(decode_bundle(data, TILE_WIDTH)[: ref.width])
    return data[: ref.width * HASH_SIZE]


def _split_hashes(data: bytes, ref: TileRef) -> list[bytes]:
    if len(data) != ref.width * HASH_SIZE:
        raise TileError(f"{ref.path} is {len(data)} bytes, want {ref.width * HASH_SIZE}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def _append_level(
    level: int | None, old_count: int, new_items: Sequence[bytes], fetch: Fetch | None
) -> tuple[dict[str, bytes], list[list[bytes]]]:
    # Rewrites the old partial tile (if any) plus new tiles; returns them and the contents of
    # the tiles completed by this append, whose hashes feed the level above.
    first = old_count // TILE_WIDTH
    carried: list[bytes] = []
    if old_count % TILE_WIDTH:
        if fetch is None:
            raise TileError("appending to a non-empty log needs fetch() for its partial tiles")
        old = TileRef(level, first, old_count % TILE_WIDTH)
        data = _read(fetch, old)
        carried = decode_bundle(data, old.width) if level is None else _split_hashes(data, old)
    items = carried + list(new_items)
    written: dict[str, bytes] = {}
    completed: list[list[bytes]] = []
    for ref in _tile_refs(level, old_count + len(new_items), first):
        offset = (ref.index - first) * TILE_WIDTH
        chunk = items[offset : offset + ref.width]
        written[ref.path] = encode_bundle(chunk) if level is None else b"".join(chunk)
        if not ref.is_partial:
            completed.append(chunk)
    return written, completed


def append_tiles(
    old_size: int, new_leaf_hashes: Sequence[bytes], fetch: Fetch | None = None
) -> dict[str, bytes]:
    """Hash tiles to write after appending leaves to a log of ``old_size`` (path -> bytes).

    ``fetch`` reads the log's existing tiles; it is only called for the old partial tiles.
    """
    if old_size < 0:
        raise TileError(f"negative log size {old_size}")
    written: dict[str, bytes] = {}
    level, old_count, items = 0, old_size, list(new_leaf_hashes)
    while items:
        level_written, completed = _append_level(level, old_count, items, fetch)
        written.update(level_written)
        items = [root_from_leaf_hashes(chunk) for chunk in completed]
        level, old_count = level + 1, old_count // TILE_WIDTH
    return written


def append_entries(
    old_size: int, entries: Sequence[bytes], fetch: Fetch | None = None
) -> dict[str, bytes]:
    """Entry bundles and hash tiles to write after appending raw entries to a log."""
    written, _ = _append_level(None, old_size, entries, fetch)
    written.update(append_tiles(old_size, [leaf_hash(e) for e in entries], fetch))
    return written


class TileReader:
    """Reads tree nodes for a log of ``size`` leaves from its tiles, caching fetched tiles.

    ``node`` is a merkle.NodeReader, so proofs for a tiled log come from the generic functions.
    """

    def __init__(self, size: int, fetch: Fetch) -> None:
        self.size = size
        self._fetch = fetch
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def tile(self, level: int, index: int) -> list[bytes]:
        key = (level, index)
        if key not in self._tiles:
            count = self.size >> (TILE_HEIGHT * level)
            width = min(TILE_WIDTH, count - index * TILE_WIDTH)
            if width <= 0:
                raise TileError(f"tile {level}/{index} is beyond a log of size {self.size}")
            ref = TileRef(level, index, width)
            self._tiles[key] = _split_hashes(_read(self._fetch, ref), ref)
        return self._tiles[key]

    def put(self, level: int, index: int, hashes: list[bytes]) -> None:
        """Seed the cache with tile contents the caller already has."""
        self._tiles[(level, index)] = hashes

    def node(self, level: int, index: int) -> bytes:
        tile_level, sub = divmod(level, TILE_HEIGHT)
        # The node is the root of 2**sub consecutive hashes inside a single tile.
        first = index << sub
        hashes = self.tile(tile_level, first // TILE_WIDTH)
        offset = first % TILE_WIDTH
        chunk = hashes[offset : offset + (1 << sub)]
        if len(chunk) != 1 << sub:
            raise TileError(f"node ({level}, {index}) is beyond a log of size {self.size}")
        return chunk[0] if sub == 0 else root_from_leaf_hashes(chunk)

    def root(self) -> bytes:
        return EMPTY_ROOT if self.size == 0 else range_hash(0, self.size, self.node)

    def inclusion_proof(self, index: int) -> list[bytes]:
        return inclusion_proof(index, self.size, self.node)

    def consistency_proof(self, old_size: int) -> list[bytes]:
        return consistency_proof(old_size, self.size, self.node)


@dataclass(frozen=True)
class VerifiedLog:
    """A log whose every tile (and entry, if fetched) was checked against a root."""

    size: int
    root: bytes
    leaf_hashes: list[bytes]
    entries: list[bytes] | None

    def check_consistency(self, old_size: int, old_root: bytes) -> None:
        """Raise TileError unless a checkpoint saved earlier is a prefix of this log."""
        if not 0 <= old_size <= self.size:
            raise TileError(f"old size {old_size} is not within the log size {self.size}")
        # The leaf hashes are already bound to the current root, so recomputing is a proof.
        if root_from_leaf_hashes(self.leaf_hashes[:old_size]) != old_root:
            raise TileError(f"the log at size {old_size} does not have the saved root")


def verify_log(fetch: Fetch, size: int, root: bytes, *, entries: bool = True) -> VerifiedLog:
    """Fetch every tile of a log of ``size`` leaves and check it all against ``root``.

    Each entry must hash to its level-0 tile hash, each full tile's root must equal the hash one
    level up, and the tree rebuilt from the tiles must have ``root``. Raises TileError otherwise.
    """
    if size < 0:
        raise TileError(f"negative log size {size}")
    reader = TileReader(size, fetch)
    leaf_hashes: list[bytes] = []
    for ref in _tile_refs(0, size):
        hashes = reader.tile(0, ref.index)
        leaf_hashes.extend(hashes)
    values: list[bytes] | None = None
    if entries:
        values = []
        for ref in _tile_refs(None, size):
            values.extend(decode_bundle(_read(fetch, ref), ref.width))
        for i, entry in enumerate(values):
            if leaf_hash(entry) != leaf_hashes[i]:
                raise TileError(f"entry {i} does not match its level 0 tile hash")
    level, below = 0, leaf_hashes
    while len(below) >= TILE_WIDTH:
        count = len(below) // TILE_WIDTH
        computed = [
            root_from_leaf_hashes(below[i * TILE_WIDTH : (i + 1) * TILE_WIDTH])
            for i in range(count)
        ]
        stored: list[bytes] = []
        for ref in _tile_refs(level + 1, count):
            stored.extend(reader.tile(level + 1, ref.index))
        if computed != stored:
            bad = next(i for i, (a, b) in enumerate(zip(computed, stored, strict=True)) if a != b)
            raise TileError(f"level {level + 1} tile hash {bad} does not match the tiles below")
        level, below = level + 1, computed
    calculated = reader.root()
    if calculated != root:
        raise TileError(
            f"tiles give root {calculated.hex()} for size {size}, checkpoint says {root.hex()}"
        )
    return VerifiedLog(size, root, leaf_hashes, values)
