"""Asking signers who want updates to confirm an amended letter, and doing it when they do.

A signature stays with the version its signer read (letters/versions.py). Confirming the new
version is withdrawing the old signature and signing again in one transaction: the log gets a
withdrawal of the old entry and a new signature entry after the amendment, so anyone can see the
signature move; the count per tier does not change; the signer gets a new receipt (the old one
now shows a withdrawn signature). Only signers who asked for updates are asked: nobody else left
an address to ask.
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from undersigned.letters.locks import version_hold
from undersigned.letters.models import Letter, LetterVersion
from undersigned.letters.presentation import letter_url
from undersigned.mail.services import render_email, unsubscribe_headers
from undersigned.publiclog.services import log_enqueue_withdrawal
from undersigned.signing import codes
from undersigned.signing.errors import NothingToReconfirm
from undersigned.signing.inputs import SignerDetails
from undersigned.signing.models import Signature
from undersigned.signing.services.common import absolute, signable_key
from undersigned.signing.services.signers import Receipt, create_signature
from undersigned.signing.services.withdrawals import ACTIVE, ERASED

logger = logging.getLogger(__name__)

PURPOSE = "reconfirm"


def reconfirm_message(
    *,
    letter: Letter,
    signature_id: int,
    address: str,
    language: str,
    signed_version: int,
    version: LetterVersion,
    title: str,
    unsubscribe_url: str,
) -> EmailMultiAlternatives:
    """The request to one subscriber, in their language (en and ar written, else English)."""
    token = codes.signature_link_token(signature_id, PURPOSE)
    context = {
        "language": language,
        "title": title,
        "note": version.note,
        "version": version.number,
        "signed_version": signed_version,
        "letter_url": letter_url(slug=letter.slug),
        "reconfirm_url": absolute("signing:reconfirm", slug=letter.slug, token=token),
        "withdraw_url": absolute("signing:withdraw", slug=letter.slug),
        "unsubscribe_url": unsubscribe_url,
    }
    return render_email(
        "reconfirm",
        to=address,
        context=context,
        language=language,
        headers=unsubscribe_headers(unsubscribe_url),
    )


def reconfirm_pending(*, letter: Letter, token: str) -> Signature | None:
    """The signature a re-confirm link names, if it can still move to the current version."""
    signature_id = codes.signature_link_id(token, PURPOSE)
    if signature_id is None:
        return None
    return (
        Signature.objects.filter(
            ACTIVE, pk=signature_id, letter=letter, version__lt=letter.version, invite__isnull=True
        )
        .only("pk", "tier", "version")
        .first()
    )


def signature_reconfirm(*, letter: Letter, token: str) -> Receipt:
    """Move the signature a re-confirm link names to the letter's current version."""
    signable_key(letter)
    signature_id = codes.signature_link_id(token, PURPOSE)
    if signature_id is None:
        raise NothingToReconfirm()
    with transaction.atomic():
        version = version_hold(letter_id=letter.pk)
        old = (
            Signature.objects.select_for_update()
            .filter(ACTIVE, pk=signature_id, letter=letter, invite__isnull=True)
            .first()
        )
        if old is None or old.version >= version:
            raise NothingToReconfirm()
        details = SignerDetails.stored_in(old)
        address = None if old.updates_address is None else bytes(old.updates_address)
        # The mailbox hash moves to the new signature (one per mailbox); the old row keeps
        # nothing personal, as after any withdrawal.
        old.withdrawn_on = timezone.localdate()
        Signature.objects.filter(pk=old.pk).update(
            withdrawn_on=old.withdrawn_on, mailbox_hash=None, **ERASED
        )
        log_enqueue_withdrawal(letter_id=old.letter_id, signature_id=old.pk, on=old.withdrawn_on)
        receipt = create_signature(
            letter=letter,
            details=details,
            version=version,
            mailbox=old.mailbox_hash,
            updates_address=address,
            updates_language=old.updates_language,
            counted=False,
        )
        if receipt is None:
            raise NothingToReconfirm()
    logger.info("letter %s: a signature moved to version %s", letter.slug, version)
    return receipt
