"""Signatures and queued log entries for the public log tests, made the way signing makes them."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from dataclasses import dataclass

from django.utils import timezone

from undersigned.crypto.merkle import leaf_hash
from undersigned.letters.models import Letter
from undersigned.publiclog.models import EntryKind, PendingEntry
from undersigned.publiclog.services import LogReceipt, log_open
from undersigned.signing.models import Signature
from undersigned.signing.services.common import signature_log_enqueue

_serial = itertools.count(1)


@dataclass(frozen=True)
class Signed:
    signature: Signature
    secret: str
    receipt: LogReceipt

    def receipt_json(self) -> dict[str, str]:
        return {**self.receipt.as_dict(), "receipt_secret": self.secret}


def sign(letter: Letter, tier: str = "public", **fields: str) -> Signed:
    """A confirmed signature and its queued log entry, committed together as signing does."""
    secret = secrets.token_urlsafe(32)
    n = next(_serial)
    if tier in ("public", "recipient"):
        fields.setdefault("name", f"Signer {n}")
    signature = Signature.objects.create(
        letter=letter,
        tier=tier,
        mailbox_hash=hashlib.sha256(f"mailbox-{n}".encode()).hexdigest(),
        receipt_commitment=hashlib.sha256(secret.encode()).hexdigest(),
        signed_on=timezone.localdate(),
        **fields,
    )
    return Signed(
        signature, secret, signature_log_enqueue(signature=signature, receipt_secret=secret)
    )


def sign_many(letter: Letter, count: int, tier: str = "counted") -> list[Signed]:
    return [sign(letter, tier) for _ in range(count)]


def queue_bulk(letter: Letter, count: int, tier: str = "counted") -> None:
    """Queue many signature entries fast (no Signature rows), for tests of scale.

    The commitments are random rather than derived from receipt secrets: to the log and its
    verifier they are opaque 64-hex-digit values either way.
    """
    log_open(letter=letter)
    today = timezone.localdate().isoformat()
    rows = []
    for _ in range(count):
        data = (
            f'{{"commitment":"{secrets.token_hex(32)}","date":"{today}","fields_hash":null,'
            f'"tier":"{tier}","type":"signature"}}'
        ).encode()
        rows.append(
            PendingEntry(
                letter=letter, kind=EntryKind.SIGNATURE, data=data, leaf_hash=leaf_hash(data).hex()
            )
        )
    PendingEntry.objects.bulk_create(rows, batch_size=5000)
