"""The sequencer: the single writer that moves queued entries into a letter's log.

One batch is one transaction: lock the letter's LogState row, take up to SEQUENCER_BATCH_MAX
queued entries, shuffle them, append them as entries and hash tiles, sign the new checkpoint,
delete the queue rows. A sequencer killed at any moment leaves either the whole batch or none of
it, and a second sequencer waits on the lock and then finds the queue rows gone, so each entry is
integrated exactly once. (On SQLite, IMMEDIATE transactions serialize writers the same way.)

Shuffling hides the order in which signatures arrived; only barrier entries (the letter, an
amendment, a delivery) keep their place, since which text a signature signed depends on it.
Removals follow the signatures of their segment, so they can name signatures of the same batch.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from undersigned.common.pagecache import letter_changed
from undersigned.crypto import logentries
from undersigned.crypto.merkle import CompactRange, leaf_hash
from undersigned.crypto.note import Checkpoint, sign_checkpoint
from undersigned.crypto.tiles import append_tiles, parse_tile_path
from undersigned.letters.models import Letter
from undersigned.publiclog.keys import load_signer
from undersigned.publiclog.models import Entry, EntryKind, LogState, PendingEntry, Tile
from undersigned.publiclog.selectors import tile_fetch

logger = logging.getLogger(__name__)

_BARRIERS = frozenset({EntryKind.LETTER, EntryKind.AMENDMENT, EntryKind.DELIVERY})
_REMOVALS = frozenset({EntryKind.WITHDRAWAL, EntryKind.INVALIDATION})
_random = secrets.SystemRandom()


def _order(rows: Sequence[PendingEntry], *, empty: bool) -> list[PendingEntry]:
    ordered: list[PendingEntry] = []
    signatures: list[PendingEntry] = []
    removals: list[PendingEntry] = []

    def flush() -> None:
        _random.shuffle(signatures)
        _random.shuffle(removals)
        ordered.extend(signatures + removals)
        signatures.clear()
        removals.clear()

    for row in rows:
        if row.kind in _BARRIERS:
            flush()
            ordered.append(row)
        else:
            (removals if row.kind in _REMOVALS else signatures).append(row)
    flush()
    if empty:
        # The genesis entry is queued before any other, but nothing may ever precede it.
        genesis = [row for row in ordered if row.kind == EntryKind.LETTER]
        ordered = genesis[:1] + [row for row in ordered if row not in genesis[:1]]
    return ordered


@dataclass
class _Batch:
    state: LogState
    entries: list[Entry] = field(default_factory=list)
    by_signature: dict[int, Entry] = field(default_factory=dict)
    stored: dict[int, Entry] = field(default_factory=dict)
    removed: list[Entry] = field(default_factory=list)

    @property
    def next_index(self) -> int:
        return self.state.size + len(self.entries)

    def append(self, kind: str, data: bytes, **extra: object) -> Entry:
        entry = Entry(
            letter_id=self.state.letter_id,
            index=self.next_index,
            kind=kind,
            data=data,
            leaf_hash=leaf_hash(data).hex(),
            **extra,
        )
        self.entries.append(entry)
        return entry

    def load_targets(self, rows: Sequence[PendingEntry]) -> None:
        wanted = {target for row in rows if row.kind in _REMOVALS for target in row.targets}
        if wanted:
            found = Entry.objects.filter(letter_id=self.state.letter_id, signature_id__in=wanted)
            entries = found.only("index", "tier", "version", "removed_by", "signature_id")
            self.stored = {e.signature_id: e for e in entries if e.signature_id is not None}

    def add(self, row: PendingEntry) -> None:
        if row.kind == EntryKind.SIGNATURE:
            data = bytes(row.data or b"")
            tier = logentries.parse_entry(data).tier or ""
            version = self.state.version
            entry = self.append(
                row.kind, data, signature_id=row.signature_id, tier=tier, version=version
            )
            if row.signature_id is not None:
                self.by_signature[row.signature_id] = entry
            self.state.counts[tier] = self.state.counts.get(tier, 0) + 1
            self._count_version(version, +1)
        elif row.kind in _REMOVALS:
            self.remove(row)
        else:
            if row.kind == EntryKind.AMENDMENT:
                # Signature entries from here on are for the amended text (letters/versions.py).
                self.state.version += 1
            self.append(row.kind, bytes(row.data or b""))

    def _count_version(self, version: int, delta: int) -> None:
        counts = self.state.version_counts
        counts[str(version)] = counts.get(str(version), 0) + delta

    def remove(self, row: PendingEntry) -> None:
        targets = []
        for signature_id in row.targets:
            target = self.by_signature.get(signature_id) or self.stored.get(signature_id)
            if target is None or target.removed_by is not None:
                # Never logged, or already removed: the log must not remove anything twice.
                logger.warning("log %s: skipping a %s target", self.state.origin, row.kind)
                continue
            targets.append(target)
        if not targets:
            return
        indexes = sorted(t.index for t in targets)
        if row.kind == EntryKind.WITHDRAWAL:
            data = logentries.withdrawal_entry(date=row.created_on, index=indexes[0])
        else:
            data = logentries.invalidation_entry(
                date=row.created_on, indexes=indexes, reason=row.reason
            )
        entry = self.append(row.kind, data)
        for target in targets:
            target.removed_by = entry.index
            self.state.counts[target.tier] -= 1
            self._count_version(target.version, -1)
            if target.pk is not None:
                self.removed.append(target)


def _store_tiles(state: LogState, leaves: list[bytes]) -> None:
    written = append_tiles(state.size, leaves, tile_fetch(state.letter_id))
    tiles = []
    for path, data in written.items():
        ref = parse_tile_path(path)
        if ref.level is None:
            continue  # append_tiles writes hash tiles only; entries live in Entry rows
        tiles.append(Tile(letter_id=state.letter_id, level=ref.level, index=ref.index, data=data))
    Tile.objects.bulk_create(
        tiles,
        update_conflicts=True,
        unique_fields=["letter", "level", "index"],
        update_fields=["data"],
        batch_size=500,
    )


def log_sequence(*, letter_id: int, batch_max: int | None = None) -> int:
    """Integrate one batch of the letter's queue; returns how many queue rows it consumed."""
    limit = batch_max or settings.SEQUENCER_BATCH_MAX
    with transaction.atomic():
        state = LogState.objects.select_for_update().filter(letter_id=letter_id).first()
        if state is None:
            return 0
        rows = list(PendingEntry.objects.filter(letter_id=letter_id).order_by("id")[:limit])
        if not rows:
            return 0
        ordered = _order(rows, empty=state.size == 0)
        if state.size == 0 and ordered[0].kind != EntryKind.LETTER:
            logger.error("log %s: entries are queued but its letter entry is not", state.origin)
            return 0
        batch = _Batch(state)
        batch.load_targets(ordered)
        for row in ordered:
            batch.add(row)
        Entry.objects.bulk_create(batch.entries, batch_size=1000)
        Entry.objects.bulk_update(batch.removed, ["removed_by"], batch_size=500)
        leaves = [bytes.fromhex(e.leaf_hash) for e in batch.entries]
        _store_tiles(state, leaves)
        compact = CompactRange(state.size, _split(bytes(state.compact)))
        compact.extend(leaves)
        state.size = compact.size
        state.root = compact.root()
        state.compact = b"".join(compact.hashes)
        checkpoint = Checkpoint(state.origin, state.size, state.root)
        state.checkpoint = sign_checkpoint(checkpoint, [load_signer(bytes(state.signing_key))])
        state.save()
        PendingEntry.objects.filter(pk__in=[row.pk for row in rows]).delete()
        # A new checkpoint changes the published count: the letter's cached pages are stale.
        letter_changed(slug=Letter.objects.values_list("slug", flat=True).get(pk=letter_id))
    return len(rows)


def _split(data: bytes) -> list[bytes]:
    return [data[i : i + 32] for i in range(0, len(data), 32)]


def log_sequence_all(*, batch_max: int | None = None, max_batches: int = 100) -> int:
    """Drain every letter's queue, batch by batch; one failing letter does not stop the rest.

    At most ``max_batches`` per letter per call, so a letter flooded with signatures cannot keep
    the worker from its other jobs; the rest waits for the next round.
    """
    done = 0
    letter_ids = PendingEntry.objects.values_list("letter_id", flat=True).distinct().order_by()
    for letter_id in list(letter_ids):
        try:
            for _ in range(max_batches):
                count = log_sequence(letter_id=letter_id, batch_max=batch_max)
                done += count
                if count == 0:
                    break
        except Exception:
            logger.exception("sequencing the log of letter %s failed", letter_id)
    return done
