"""Erasing what is only needed while a letter collects signatures (docs/design.md section 4e)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from undersigned.letters.models import Letter
from undersigned.signing.models import InviteCode, Issuance, Signature, Verification
from undersigned.signing.services.issuance_keys import issuance_key_destroy

EXPIRY_SWEEP_SECONDS = 60


@dataclass(frozen=True)
class PurgeReport:
    mailbox_key: bool
    verifications: int
    updates_addresses: int
    invite_codes: int
    issuance_key: bool = False
    token_mailboxes: int = 0

    def lines(self) -> list[str]:
        return [
            f"mailbox key: {'destroyed' if self.mailbox_key else 'already gone'}",
            f"pending verifications deleted: {self.verifications}",
            f"update addresses erased: {self.updates_addresses}",
            f"unused invite codes deleted: {self.invite_codes}",
            f"issuance key: {'destroyed' if self.issuance_key else 'already gone or never made'}",
            f"mailboxes that took anonymous tokens forgotten: {self.token_mailboxes}",
        ]


def letter_secrets_purge(*, letter: Letter) -> PurgeReport:
    """Destroy the mailbox key, verifications, update addresses and unused invite codes, the
    issuance key's private half and the marks of mailboxes that took anonymous tokens.

    Without the key the stored mailbox hashes can no longer be linked to anyone; without the
    issuance key nobody, the operator included, can mint another token. Called when a letter is
    archived, and by `undersigned purge_letter_secrets SLUG`.
    """
    with transaction.atomic():
        had_key = Letter.objects.filter(pk=letter.pk, mailbox_key__isnull=False).update(
            mailbox_key=None
        )
        verifications, _ = Verification.objects.filter(letter=letter).delete()
        addresses = Signature.objects.filter(letter=letter, updates_address__isnull=False).update(
            updates_address=None, updates_language=""
        )
        invites, _ = InviteCode.objects.filter(letter=letter, used_on__isnull=True).delete()
        issuance_key = issuance_key_destroy(letter=letter)
        # Only there to keep a mailbox from signing twice, which an archived letter cannot.
        token_mailboxes, _ = Issuance.objects.filter(letter=letter).delete()
    letter.mailbox_key = None
    return PurgeReport(
        mailbox_key=bool(had_key),
        verifications=verifications,
        updates_addresses=addresses,
        invite_codes=invites,
        issuance_key=issuance_key,
        token_mailboxes=token_mailboxes,
    )


def verifications_expire() -> int:
    """Delete expired verifications (with whatever a signer typed but never confirmed)."""
    with transaction.atomic():
        deleted, _ = Verification.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
