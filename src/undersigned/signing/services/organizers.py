"""Organizer actions on signatures: invite codes, silent flags, auditable invalidation."""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from undersigned.accounts.models import User
from undersigned.letters.models import Letter
from undersigned.publiclog.services import log_enqueue_invalidation
from undersigned.signing import codes, tiers
from undersigned.signing.errors import SigningError
from undersigned.signing.models import Invalidation, InviteBatch, InviteCode, Signature
from undersigned.signing.services.common import letter_key
from undersigned.signing.services.counters import counter_add
from undersigned.signing.services.withdrawals import ACTIVE

MAX_BATCH = 1000
_CHUNK = 500


def invite_batch_create(*, letter: Letter, size: int, label: str = "") -> list[str]:
    """Make `size` single-use codes; the plaintext is returned once and never stored."""
    if not 1 <= size <= MAX_BATCH:
        raise SigningError(422, "invalid_size", f"A batch has 1 to {MAX_BATCH} codes.")
    key = letter_key(letter)
    fresh: set[str] = set()
    while len(fresh) < size:
        fresh.add(codes.new_invite_code())
    plain = sorted(fresh)
    with transaction.atomic():
        batch = InviteBatch.objects.create(letter=letter, label=label, size=size)
        InviteCode.objects.bulk_create(
            InviteCode(
                letter=letter,
                batch=batch,
                code_hash=codes.invite_code_hash(key=key, code=code.replace("-", "")),
            )
            for code in plain
        )
    return plain


def signature_flag(*, letter: Letter, signature_id: int, flagged: bool) -> None:
    """Mark a signature for review; nothing changes publicly."""
    with transaction.atomic():
        if not Signature.objects.filter(letter=letter, pk=signature_id).update(flagged=flagged):
            raise SigningError(404, "not_found", "There is no such signature on this letter.")


@dataclass(frozen=True)
class InvalidationRule:
    """Which active signatures to remove; every criterion given must match (AND)."""

    signed_from: date | None = None
    signed_to: date | None = None
    department_contains: str = ""
    name_contains: str = ""
    flagged_only: bool = False

    def is_empty(self) -> bool:
        return self == InvalidationRule()

    def query(self) -> Q:
        query = Q()
        if self.signed_from:
            query &= Q(signed_on__gte=self.signed_from)
        if self.signed_to:
            query &= Q(signed_on__lte=self.signed_to)
        # A text rule selects only tiers whose field organizers see: matching a counted
        # signer's department would show it in the table as "invalidated" (signing/tiers.py).
        seen = tiers.Audience.ORGANIZER
        if self.department_contains:
            query &= Q(department__icontains=self.department_contains)
            query &= Q(tier__in=tiers.tiers_showing_field("department", seen))
        if self.name_contains:
            query &= Q(name__icontains=self.name_contains)
            query &= Q(tier__in=tiers.tiers_showing_field("name", seen))
        if self.flagged_only:
            query &= Q(flagged=True)
        return query

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("signed_from", "signed_to"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def signatures_invalidate(
    *, letter: Letter, rule: InvalidationRule, reason: str, user: User
) -> Invalidation:
    """Remove every active signature matching `rule`, recorded with its reason for the audit."""
    if rule.is_empty():
        raise SigningError(422, "empty_rule", "Choose at least one rule: dates, text or flagged.")
    if not reason:
        raise SigningError(422, "reason_required", "Say why these signatures are removed.")
    with transaction.atomic():
        # Locked, so a withdrawal cannot slip in between counting and marking.
        rows = list(
            Signature.objects.filter(ACTIVE, letter=letter)
            .filter(rule.query())
            .select_for_update()
            .values_list("pk", "tier")
        )
        if not rows:
            raise SigningError(409, "nothing_matched", "No active signature matches this rule.")
        invalidation = Invalidation.objects.create(
            letter=letter, rule=rule.as_json(), reason=reason, count=len(rows), created_by=user
        )
        today = timezone.localdate()
        ids = [pk for pk, _ in rows]
        for start in range(0, len(ids), _CHUNK):
            Signature.objects.filter(pk__in=ids[start : start + _CHUNK]).update(
                invalidated_on=today, invalidation=invalidation
            )
        for tier, count in Tally(tier for _, tier in rows).items():
            counter_add(letter_id=letter.pk, tier=tier, delta=-count)
        # The reason is published with the indexes it removes (docs/log.md).
        log_enqueue_invalidation(letter_id=letter.pk, signature_ids=ids, reason=reason)
    return invalidation
