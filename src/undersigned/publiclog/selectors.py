"""Reading a letter's public log: counts, the checkpoint, tiles, proofs and receipt checks.

Counts come from the LogState row the sequencer keeps (never COUNT(*) over entries), and proofs
read only the few tiles on one path, so neither slows down as a log grows.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from undersigned.crypto import logentries
from undersigned.crypto.canonical import canonical_json
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
from undersigned.letters.models import RTL_LANGUAGES, Demand, Letter
from undersigned.publiclog.models import Entry, EntryKind, LogState, PendingEntry, Tile
from undersigned.signing.models import Signature
from undersigned.signing.selectors import Counts, letter_counts


def log_url(*, slug: str) -> str:
    return f"{settings.SITE_URL}/l/{slug}/log/"


def letter_text_document(*, letter: Letter) -> dict[str, Any]:
    """The letter's texts and demands, all languages, as the log hashes them (docs/log.md):
    {"demands": [{lang: text}, ...in order], "texts": {lang: {"body", "title"}}}."""
    texts = {t.language: {"title": t.title, "body": t.body} for t in letter.texts.all()}
    demands = [
        {t.language: t.text for t in demand.texts.all()}
        for demand in Demand.objects.filter(letter=letter).prefetch_related("texts")
    ]
    return {"texts": texts, "demands": demands}


def letter_text_hash(*, letter: Letter) -> str:
    """SHA-256 (hex) of the canonical JSON of letter_text_document, so anyone holding the
    published texts can recompute it."""
    return hashlib.sha256(canonical_json(letter_text_document(letter=letter))).hexdigest()


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


def published_counts(*, live: Counts, letter_id: int) -> tuple[Counts, int]:
    """The published count (the log's, per tier) and how many confirmed signatures still wait.

    `live` are the signing counters; the difference is what the next checkpoint will add, so
    neither number needs a COUNT(*) (DESIGN.md section 10).
    """
    stored = LogState.objects.filter(letter_id=letter_id).values_list("counts", flat=True).first()
    per_tier = {tier: int((stored or {}).get(tier, 0)) for tier in live.per_tier}
    published = Counts(per_tier=per_tier, tokens=live.tokens)
    return published, max(0, live.total - published.total)


def published_total(*, letter_id: int) -> int:
    """The published count the letter page shows (all tiers), from the log's state."""
    published, _ = published_counts(live=letter_counts(letter_id=letter_id), letter_id=letter_id)
    return published.total


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


def log_page(*, letter: Letter) -> dict[str, Any]:
    """What the log page shows: the letter's title, the log's head and how to check it."""
    text = letter.texts.filter(language=letter.default_language).first() or letter.texts.first()
    language = text.language if text is not None else letter.default_language
    return {
        "letter": letter,
        "title": text.title if text is not None else letter.slug,
        "title_language": language,
        "title_direction": "rtl" if language in RTL_LANGUAGES else "ltr",
        "log": log_summary(letter=letter),
        "log_url": log_url(slug=letter.slug),
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


def _entry_for_secret(letter: Letter, secret: str) -> str | None:
    # Only the secret was pasted: find the signature it belongs to, as withdrawals do.
    from undersigned.signing.codes import receipt_commitment

    signature = Signature.objects.filter(
        letter=letter, receipt_commitment=receipt_commitment(secret)
    ).values_list("pk", flat=True)
    if not signature:
        return None
    for model in (Entry, PendingEntry):
        rows = model.objects.filter(letter=letter, signature_id=signature[0])
        data = rows.values_list("data", flat=True).first()
        if data is not None:
            return bytes(data).decode("utf-8")
    return None


def receipt_check(
    *, letter: Letter, entry: str | None, leaf_hash_hex: str, secret: str
) -> ReceiptCheck:
    """Check a receipt against this server's copy of the log (the command line checks alone)."""
    if entry is None:
        entry = _entry_for_secret(letter, secret)
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
