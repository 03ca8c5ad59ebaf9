"""Reading a letter's public log: counts, the checkpoint, tiles, proofs and receipt checks.

Counts come from the LogState row the sequencer keeps (never COUNT(*) over entries), and proofs
read only the few tiles on one path, so neither slows down as a log grows.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from undersigned.crypto import logentries
from undersigned.crypto.merkle import ProofError, leaf_hash, verify_inclusion
from undersigned.crypto.note import NoteError, open_checkpoint, verifier_from_vkey
from undersigned.crypto.proof import build_proof
from undersigned.crypto.tiles import (
    TILE_WIDTH,
    TileError,
    TileReader,
    TileRef,
    encode_bundle,
    tiles_for_size,
)
from undersigned.crypto.tiles import parse_tile_path as _parse_tile_path
from undersigned.letters.models import Letter
from undersigned.publiclog.models import Entry, EntryKind, LogState, PendingEntry, Tile


def log_url(*, slug: str) -> str:
    return f"{settings.SITE_URL}/l/{slug}/log/"


@dataclass(frozen=True)
class LogCounts:
    counts: dict[str, int]
    total: int
    pending: int
    size: int


def log_counts(*, letter_id: int) -> LogCounts:
    """Live signatures per tier as the log says, and confirmed ones awaiting the next checkpoint."""
    row = LogState.objects.filter(letter_id=letter_id).values("counts", "size").first()
    counts = dict.fromkeys(logentries.TIERS, 0)
    if row is not None:
        counts.update(row["counts"])
    # The queue holds at most one sequencer interval of signatures, so counting it stays cheap.
    pending = PendingEntry.objects.filter(letter_id=letter_id, kind=EntryKind.SIGNATURE).count()
    size = row["size"] if row is not None else 0
    return LogCounts(counts, sum(counts.values()), pending, size)


def log_tier_counts(*, letter_id: int) -> dict[str, int]:
    """Live signatures per tier as of the latest checkpoint (the sequencer keeps them)."""
    stored = LogState.objects.filter(letter_id=letter_id).values_list("counts", flat=True).first()
    return {tier: int(count) for tier, count in (stored or {}).items()}


def log_version_counts(*, letter_id: int) -> dict[str, int]:
    """Live signatures per version of the text ("1", "2", ...), as of the latest checkpoint."""
    counts = LogState.objects.filter(letter_id=letter_id).values_list("version_counts", flat=True)
    return dict(counts.first() or {})


def log_state(*, letter_id: int) -> LogState | None:
    return LogState.objects.filter(letter_id=letter_id).first()


def log_summary(*, letter: Letter) -> dict[str, Any] | None:
    """The log as the letter API shows it; None before the log is opened."""
    state = log_state(letter_id=letter.pk)
    if state is None:
        return None
    counts = log_counts(letter_id=letter.pk)
    return {
        "url": log_url(slug=letter.slug),
        "origin": state.origin,
        "vkey": state.vkey,
        "size": state.size,
        "root": base64.b64encode(bytes(state.root)).decode("ascii"),
        "counts": counts.counts,
        "total": counts.total,
        "pending": counts.pending,
        "checkpoint": state.checkpoint,
    }


def parse_tile_path(path: str) -> TileRef | None:
    try:
        return _parse_tile_path(path)
    except TileError:
        return None


def log_tile(*, letter_id: int, ref: TileRef) -> bytes | None:
    """A hash tile or entry bundle of any width up to what is stored; None if there is none.

    Tiles only grow at their end, so a narrower (older) partial tile is a prefix of the stored
    one, and clients holding an older checkpoint still get what they ask for.
    """
    start = ref.index * TILE_WIDTH
    if ref.level is None:
        rows = list(
            Entry.objects.filter(letter_id=letter_id, index__gte=start, index__lt=start + ref.width)
            .order_by("index")
            .values_list("data", flat=True)
        )
        if len(rows) != ref.width:
            return None
        return encode_bundle(bytes(data) for data in rows)
    data = (
        Tile.objects.filter(letter_id=letter_id, level=ref.level, index=ref.index)
        .values_list("data", flat=True)
        .first()
    )
    want = ref.width * 32
    if data is None or len(data) < want:
        return None
    return bytes(data[:want])


def tile_fetch(letter_id: int) -> Any:
    """A crypto.tiles Fetch reading this letter's stored tiles (LookupError when missing)."""

    def fetch(path: str) -> bytes:
        ref = parse_tile_path(path)
        data = None if ref is None else log_tile(letter_id=letter_id, ref=ref)
        if data is None:
            raise LookupError(path)
        return data

    return fetch


def entry_index(*, letter_id: int, leaf_hash_hex: str) -> int | None:
    return (
        Entry.objects.filter(letter_id=letter_id, leaf_hash=leaf_hash_hex)
        .values_list("index", flat=True)
        .first()
    )


def log_proof(*, letter_id: int, index: int) -> str | None:
    """A C2SP tlog-proof for entry ``index`` against the latest checkpoint; None if beyond it.

    The proof's extra data is the entry itself, so the proof alone lets anyone recompute the
    leaf hash.
    """
    state = log_state(letter_id=letter_id)
    if state is None or not 0 <= index < state.size:
        return None
    entry = Entry.objects.filter(letter_id=letter_id, index=index).values_list("data", flat=True)
    reader = TileReader(state.size, tile_fetch(letter_id))
    return build_proof(index, reader.inclusion_proof(index), state.checkpoint, bytes(entry[0]))


@dataclass(frozen=True)
class ReceiptCheck:
    """What the log says about a pasted receipt (see receipt_check)."""

    status: str  # "invalid", "missing", "pending" or "included"
    message: str = ""
    index: int | None = None
    size: int | None = None
    counted: bool = False
    removed_by: str = ""
    secret_matches: bool | None = None


def _removal_kind(letter_id: int, index: int) -> str:
    kind = Entry.objects.filter(letter_id=letter_id, index=index).values_list("kind", flat=True)
    return str(kind[0]) if kind else ""


def log_entry_of(*, letter_id: int, signature_id: int) -> str | None:
    """The entry queued or logged for a signature row, as text; None if there is none."""
    for model in (Entry, PendingEntry):
        rows = model.objects.filter(letter_id=letter_id, signature_id=signature_id)
        data = rows.values_list("data", flat=True).first()
        if data is not None:
            return bytes(data).decode("utf-8")
    return None


def receipt_check(
    *, letter: Letter, entry: str | None, leaf_hash_hex: str, secret: str
) -> ReceiptCheck:
    """Check a receipt against this server's copy of the log (the command line checks alone).

    `entry` None means none was pasted and none belongs to the secret: it is missing."""
    if entry is None:
        return ReceiptCheck("missing")
    data = entry.encode("utf-8")
    try:
        parsed = logentries.parse_entry(data)
    except logentries.EntryError as exc:
        return ReceiptCheck("invalid", f"The entry in this receipt is not a log entry: {exc}.")
    if parsed.type != EntryKind.SIGNATURE:
        return ReceiptCheck("invalid", "This entry is not a signature.")
    leaf = leaf_hash(data)
    if leaf_hash_hex and leaf_hash_hex != leaf.hex():
        return ReceiptCheck("invalid", "The leaf hash in this receipt is not its entry's hash.")
    matches = None if not secret else parsed.commitment == logentries.receipt_commitment(secret)
    index = entry_index(letter_id=letter.pk, leaf_hash_hex=leaf.hex())
    if index is None:
        waiting = PendingEntry.objects.filter(letter=letter, leaf_hash=leaf.hex()).exists()
        return ReceiptCheck("pending" if waiting else "missing", secret_matches=matches)
    state = LogState.objects.get(letter=letter)
    try:
        checkpoint, _ = open_checkpoint(state.checkpoint, verifier_from_vkey(state.vkey))
        reader = TileReader(checkpoint.size, tile_fetch(letter.pk))
        proof = reader.inclusion_proof(index)
        verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root_hash)
    except (NoteError, ProofError, LookupError) as exc:
        return ReceiptCheck("invalid", f"The inclusion proof does not check out: {exc}.")
    removed = Entry.objects.filter(letter=letter, index=index).values_list("removed_by", flat=True)
    removed_at = removed[0]
    return ReceiptCheck(
        "included",
        index=index,
        size=checkpoint.size,
        counted=removed_at is None,
        removed_by="" if removed_at is None else _removal_kind(letter.pk, removed_at),
        secret_matches=matches,
    )


def log_export_files(*, slug: str) -> Iterator[tuple[str, bytes]] | None:
    """Every resource of a letter's log at its current checkpoint, as (path, bytes)."""
    state = LogState.objects.filter(letter__slug=slug).first()
    if state is None:
        return None
    return _export(state)


def _export(state: LogState) -> Iterator[tuple[str, bytes]]:
    # Read the head once: tiles are served by width, so later growth cannot leak into the copy.
    size, checkpoint = state.size, state.checkpoint
    yield "checkpoint", checkpoint.encode("utf-8")
    yield "vkey", (state.vkey + "\n").encode("utf-8")
    for ref in tiles_for_size(size):
        data = log_tile(letter_id=state.letter_id, ref=ref)
        if data is None:
            raise LookupError(f"{ref.path} is missing from the log of {state.origin}")
        yield ref.path, data
