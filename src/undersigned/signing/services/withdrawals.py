"""Withdrawing a signature: with its receipt secret, or with the mailbox and a fresh code.

A withdrawn signature keeps only its tier, dates and mailbox hash: the hash keeps the mailbox
from signing again (one mailbox, one signature, ever, which keeps the public log simple), and
everything personal is erased.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from undersigned.letters.models import Letter
from undersigned.publiclog.services import log_enqueue_withdrawal
from undersigned.signing import codes
from undersigned.signing.errors import InvalidCode, InvalidLink, NothingToWithdraw, UnknownReceipt
from undersigned.signing.inputs import SignerDetails
from undersigned.signing.models import Purpose, Signature, Tier, Verification
from undersigned.signing.services import verification
from undersigned.signing.services.common import letter_key
from undersigned.signing.services.counters import counter_add
from undersigned.signing.services.messages import code_message_send

ACTIVE = Q(withdrawn_on__isnull=True, invalidated_on__isnull=True)
# What a withdrawn signature stops keeping (services/reconfirm.py erases the same).
ERASED = {
    "name": "",
    "title": "",
    "department": "",
    "location": "",
    "updates_address": None,
    "updates_language": "",
}


def _withdraw(signature: Signature) -> date:
    today = timezone.localdate()
    # Conditional, so two withdrawals of one signature lower the count once.
    done = Signature.objects.filter(pk=signature.pk, withdrawn_on__isnull=True).update(
        withdrawn_on=today, **ERASED
    )
    if not done:
        raise NothingToWithdraw()
    signature.withdrawn_on = today
    log_enqueue_withdrawal(
        letter_id=signature.letter_id, signature_id=signature.pk, on=signature.withdrawn_on
    )
    if signature.invalidated_on is None:
        counter_add(letter_id=signature.letter_id, tier=signature.tier, delta=-1)
    return today


def signature_withdraw(*, letter: Letter, receipt_secret: str) -> date:
    """Withdraw the signature whose receipt this is; returns the withdrawal date."""
    with transaction.atomic():
        signature = Signature.objects.filter(
            letter=letter, receipt_commitment=codes.receipt_lookup_hash(receipt_secret)
        ).first()
        if signature is None:
            raise UnknownReceipt()
        return _withdraw(signature)


def withdrawal_start(*, letter: Letter, email: str, language: str) -> None:
    """Mail the mailbox a code, the same message as for signing (services/messages.py),
    whether or not it has a signature to withdraw; the page says which once it is used."""
    address, mailbox = verification.mailbox_of(letter=letter, email=email, key=letter_key(letter))
    with transaction.atomic():
        row = verification.issue(
            letter=letter,
            mailbox=mailbox,
            purpose=Purpose.WITHDRAW,
            details=SignerDetails(tier=Tier.COUNTED),
            updates_address=None,
            language=language,
        )
        code_message_send(row=row, address=address, language=language)


def _withdraw_verified(row: Verification) -> date:
    """Withdraw the signature of a verified mailbox; a repeat of the same confirmation (after
    a lost response) answers with the same date instead of "nothing to withdraw"."""
    replay = row.confirmed
    verification.mark_used(row)
    signature = Signature.objects.filter(
        letter_id=row.letter_id, mailbox_hash=row.mailbox_hash
    ).first()
    if signature is None:
        raise NothingToWithdraw()
    if replay and signature.withdrawn_on is not None:
        return signature.withdrawn_on
    return _withdraw(signature)


def signature_withdraw_with_code(*, letter: Letter, email: str, code: str) -> date:
    """Withdraw the mailbox's signature with the code from its message."""
    _, mailbox = verification.mailbox_of(letter=letter, email=email, key=letter_key(letter))
    with transaction.atomic():
        row = verification.redeem(
            letter=letter, mailbox=mailbox, purpose=Purpose.WITHDRAW, code=code
        )
        if row is not None:
            return _withdraw_verified(row)
    raise InvalidCode()


def signature_withdraw_with_link(*, token: str) -> tuple[Letter, date]:
    """Withdraw through the link in the message (its POST; the GET only shows a button)."""
    with transaction.atomic():
        row = verification.by_link(token=token, purpose=Purpose.WITHDRAW)
        if row is None:
            raise InvalidLink()
        return row.letter, _withdraw_verified(row)
