"""A letter's public log: its key and head, the queue of entries to add, the entries, the tiles.

Entries and hash tiles are written by the sequencer only (publiclog/sequencer.py), in the same
transaction as the checkpoint that covers them, so what is stored is always exactly one signed
tree. Dates, not times, anywhere near a signer.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class LogState(models.Model):
    """One per letter: the signing key and the current signed head of the tree."""

    letter = models.OneToOneField("letters.Letter", on_delete=models.CASCADE, related_name="+")
    # C2SP origin line and key name, fixed at creation even if the site moves or the slug changes.
    origin = models.CharField(max_length=255)
    # Fernet ciphertext of the signed-note private key (publiclog/keys.py).
    signing_key = models.BinaryField()
    vkey = models.CharField(max_length=400)
    size = models.BigIntegerField(default=0)
    root = models.BinaryField()
    # Roots of the perfect subtrees covering the log (merkle.CompactRange), concatenated.
    compact = models.BinaryField(default=b"")
    # Live counts per tier, as the entries say: signatures minus withdrawals and invalidations.
    counts = models.JSONField(default=dict)
    # The text version entries now attach to (one more per amendment entry), and live signature
    # counts per version, {"1": n, ...}, as the entries say.
    version = models.PositiveIntegerField(default=1)
    version_counts = models.JSONField(default=dict)
    # The latest signed checkpoint, with any witness cosignatures appended.
    checkpoint = models.TextField()
    created_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return self.origin


class EntryKind(models.TextChoices):
    LETTER = "letter", "Letter"
    AMENDMENT = "amendment", "Amendment"
    SIGNATURE = "signature", "Signature"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    INVALIDATION = "invalidation", "Invalidation"
    DELIVERY = "delivery", "Delivery"


class PendingEntry(models.Model):
    """An entry waiting for the next checkpoint; written in the transaction that caused it.

    Signature and other self-contained entries carry their bytes. Withdrawals and invalidations
    carry the signatures they remove (`targets`) instead: the index of a signature entry is only
    known once the sequencer has placed it, so their bytes are built then.
    """

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    data = models.BinaryField(null=True)
    leaf_hash = models.CharField(max_length=64, blank=True)
    signature = models.ForeignKey(
        "signing.Signature", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    targets = models.JSONField(default=list)
    reason = models.CharField(max_length=500, blank=True)
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["letter", "id"], name="pending_queue"),
            models.Index(fields=["letter", "leaf_hash"], name="pending_leaf"),
        ]

    def __str__(self) -> str:
        return f"pending {self.kind} {self.pk}"


class Entry(models.Model):
    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    index = models.BigIntegerField()
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    data = models.BinaryField()
    leaf_hash = models.CharField(max_length=64)
    # For signature entries: whose, and at which tier; lets withdrawals find the index.
    signature = models.OneToOneField(
        "signing.Signature", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier = models.CharField(max_length=10, blank=True)
    # For signature entries: the text version they follow in the log.
    version = models.PositiveIntegerField(default=1)
    # Index of the withdrawal or invalidation entry that removed this signature.
    removed_by = models.BigIntegerField(null=True)

    class Meta:
        constraints: ClassVar = [
            # The last line of defence against integrating anything twice.
            models.UniqueConstraint(fields=["letter", "index"], name="one_entry_per_index"),
        ]
        indexes: ClassVar = [models.Index(fields=["letter", "leaf_hash"], name="entry_leaf")]

    def __str__(self) -> str:
        return f"entry {self.index}"


class Tile(models.Model):
    """The newest version of one hash tile: a partial tile grows in place until it is full.

    Older partial widths are served as prefixes of it; tiles only ever grow at the end.
    """

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["letter", "level", "index"], name="one_tile")
        ]

    def __str__(self) -> str:
        return f"tile {self.level}/{self.index}"
