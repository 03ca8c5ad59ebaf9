"""Signatures, their verification, invite codes and counters.

What is stored per tier is decided in signing/tiers.py; these models only hold it. Dates, not
times, for anything about a signer (docs/design.md section 2c).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone


class Tier(models.TextChoices):
    PUBLIC = "public", "Public"
    RECIPIENT = "recipient", "Recipient only"
    COUNTED = "counted", "Counted only"
    ANONYMOUS = "anonymous", "Anonymous"


NAMED_TIERS = (Tier.PUBLIC, Tier.RECIPIENT, Tier.COUNTED)


class Purpose(models.TextChoices):
    SIGN = "sign", "Sign"
    WITHDRAW = "withdraw", "Withdraw"


class Verification(models.Model):
    """A mailbox proving itself, to sign or to withdraw; deleted when it expires.

    The code is never stored: it is derived from `nonce` with the server secret, so the same code
    can be resent without keeping it, and a copy of the database alone cannot produce it. A row
    exists even for a mailbox that already signed (its message says so instead of carrying a
    code), so that both cases take the same path and share the per-mailbox send limit.
    """

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    mailbox_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.SIGN)
    nonce = models.CharField(max_length=64)
    # Kept after use until expiry, so a repeated confirmation can say "already done".
    confirmed = models.BooleanField(default=False)
    # Only a hash of the confirmation link's token is kept.
    link_hash = models.CharField(max_length=64, unique=True)
    tier = models.CharField(max_length=10, choices=Tier.choices)
    name = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=120, blank=True)
    department = models.CharField(max_length=120, blank=True)
    location = models.CharField(max_length=120, blank=True)
    # Fernet ciphertext of the mailbox, only for signers who asked for updates.
    updates_address = models.BinaryField(null=True)
    language = models.CharField(max_length=8, default="en")
    # The letter's version the signer read; confirming after an amendment is refused.
    version = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    sends = models.PositiveSmallIntegerField(default=0)
    send_window_start = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["letter", "mailbox_hash", "purpose"], name="one_pending_per_mailbox"
            )
        ]
        indexes: ClassVar = [models.Index(fields=["expires_at"], name="verification_expiry")]

    def __str__(self) -> str:
        return f"verification {self.pk}"


class InviteBatch(models.Model):
    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=120, blank=True)
    size = models.PositiveIntegerField()
    created_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return self.label or f"batch {self.pk}"


class InviteCode(models.Model):
    """A single-use code; only its keyed hash is stored (the sheet is printed once)."""

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(InviteBatch, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, unique=True)
    used_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invite {self.pk}"


class Signature(models.Model):
    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=10, choices=Tier.choices)
    # HMAC(letter key, normalized mailbox); null (not "") for invite-code signatures, so the
    # partial unique constraint below leaves them out.
    mailbox_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    invite = models.OneToOneField(
        InviteCode, null=True, blank=True, on_delete=models.PROTECT, related_name="signature"
    )
    name = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=120, blank=True)
    department = models.CharField(max_length=120, blank=True)
    location = models.CharField(max_length=120, blank=True)
    # SHA-256 of the receipt secret handed to the signer; lets them withdraw or prove inclusion.
    receipt_commitment = models.CharField(max_length=64, unique=True)
    updates_address = models.BinaryField(null=True)
    # The language updates are written in, only for signers who asked for them.
    updates_language = models.CharField(max_length=8, blank=True)
    # The version of the letter's text this signature is for (letters.LetterVersion).
    version = models.PositiveIntegerField(default=1)
    signed_on = models.DateField(default=timezone.localdate)
    withdrawn_on = models.DateField(null=True, blank=True)
    invalidated_on = models.DateField(null=True, blank=True)
    invalidation = models.ForeignKey(
        "signing.Invalidation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Organizers may flag a signature for review without any public effect.
    flagged = models.BooleanField(default=False)
    # Anonymous signatures only: the redeemed token's nonce (hex), public in the log anyway.
    # The unique constraint is what refuses a token redeemed twice, however concurrently.
    token_nonce = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["letter", "mailbox_hash"],
                condition=models.Q(mailbox_hash__isnull=False),
                name="one_signature_per_mailbox",
            ),
            models.UniqueConstraint(
                fields=["letter", "token_nonce"],
                condition=models.Q(token_nonce__isnull=False),
                name="one_signature_per_token",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["letter", "tier", "id"], name="signature_list")]

    def __str__(self) -> str:
        return f"signature {self.pk}"


class Invalidation(models.Model):
    """An auditable removal of signatures by organizers: what rule, why, how many, when."""

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    rule = models.JSONField()
    reason = models.CharField(max_length=500)
    count = models.PositiveIntegerField()
    created_on = models.DateField(default=timezone.localdate)
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"invalidation {self.pk}"


COUNTER_SHARDS = 16
# Not tiers: anonymous tokens issued and redeemed (withdrawals do not lower it), kept in the
# same sharded counters and published side by side.
ISSUED_COUNTER = "issued"
REDEEMED_COUNTER = "redeemed"


class Counter(models.Model):
    """Sharded running counts, so concurrent signers do not queue on one row."""

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=10, choices=Tier.choices)
    shard = models.PositiveSmallIntegerField()
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["letter", "tier", "shard"], name="one_counter_shard")
        ]

    def __str__(self) -> str:
        return f"{self.letter_id}/{self.tier}/{self.shard}={self.value}"


def random_id() -> int:
    return secrets.randbelow(2**62) + 1


if TYPE_CHECKING:
    _BigInteger = models.BigIntegerField[int, int]
else:
    _BigInteger = models.BigIntegerField


class RandomIdField(_BigInteger):
    """A primary key drawn at random, for rows whose order of insertion must not be kept.

    On SQLite the column is declared INTEGER so that it is the table's rowid; under any other
    type SQLite keeps a hidden rowid that counts up and records the order of insertion.
    """

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class Issuance(models.Model):
    """A mailbox that received an anonymous token: it may not sign again, in any tier.

    Deliberately nothing but the mailbox hash and a date, under a random id: no tier, no token
    data, no time and no insertion order, so no row can be paired with the signature that the
    token later becomes (docs/anonymous.md). Invite-code issuances only mark their code used.
    """

    id = RandomIdField(primary_key=True, default=random_id, editable=False)
    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    mailbox_hash = models.CharField(max_length=64)
    issued_on = models.DateField(default=timezone.localdate)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["letter", "mailbox_hash"], name="one_token_per_mailbox")
        ]

    def __str__(self) -> str:
        return "issuance"


class IssuanceKey(models.Model):
    """A letter's RSA blind-signature key (Privacy Pass token type 0x0002).

    The private half is Fernet ciphertext under a key derived from SECRET_KEY and is erased when
    the letter's secrets are purged; the SPKI and challenge stay, as the log publishes them.
    """

    letter = models.OneToOneField(
        "letters.Letter", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    spki = models.BinaryField()
    token_challenge = models.BinaryField()
    private_key = models.BinaryField(null=True)
    created_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"issuance key of {self.letter_id}"
