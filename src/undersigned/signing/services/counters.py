"""Sharded counters: each change touches one random shard row, so signers do not queue on one.

A shard may go below zero after withdrawals; only the sum per tier means anything.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import F

from undersigned.signing.models import COUNTER_SHARDS, Counter


def counter_add(*, letter_id: int, tier: str, delta: int) -> None:
    """Add `delta` to the tier's count; call inside the transaction that causes the change."""
    if delta == 0:
        return
    shard = secrets.randbelow(COUNTER_SHARDS)
    rows = Counter.objects.filter(letter_id=letter_id, tier=tier, shard=shard)
    if rows.update(value=F("value") + delta):
        return
    try:
        with transaction.atomic():
            Counter.objects.create(letter_id=letter_id, tier=tier, shard=shard, value=delta)
    except IntegrityError:
        # Another transaction created this shard a moment ago.
        rows.update(value=F("value") + delta)
