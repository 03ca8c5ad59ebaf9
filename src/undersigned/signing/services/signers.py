"""Signing: by work mailbox (start, then a code or link) or by invite code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateField, Value
from django.utils import timezone

from undersigned.letters.locks import version_hold
from undersigned.letters.models import Letter
from undersigned.letters.presentation import letter_title, letter_url
from undersigned.mail.services import mail_send
from undersigned.publiclog.services import LogReceipt
from undersigned.signing import codes
from undersigned.signing.errors import (
    AlreadySigned,
    AnonymousCode,
    InvalidCode,
    InvalidLink,
    InviteForToken,
    LetterAmended,
    NoUpdatesWhenAnonymous,
    UsedInvite,
)
from undersigned.signing.inputs import SignerDetails
from undersigned.signing.mailbox import encrypt_address
from undersigned.signing.models import (
    Issuance,
    Purpose,
    Signature,
    Tier,
    Verification,
)
from undersigned.signing.services import verification
from undersigned.signing.services.common import (
    absolute,
    invite_take,
    signable_key,
    signature_log_enqueue,
)
from undersigned.signing.services.counters import counter_add


@dataclass(frozen=True)
class Receipt:
    """What a signer gets once: the secret is not stored, only its commitment."""

    secret: str
    tier: str
    signed_on: date
    # The log entry queued with the signature, its leaf hash and the log's URL.
    log: LogReceipt


def signing_start(
    *,
    letter: Letter,
    email: str,
    details: SignerDetails,
    updates: bool,
    language: str,
    version: int | None = None,
) -> None:
    """Send a code to the mailbox, or tell it that it already signed; the caller cannot tell.

    With the anonymous tier the code is for a token (services/anonymous.py), not a signature.
    """
    key = signable_key(letter)
    if details.tier == Tier.ANONYMOUS and updates:
        raise NoUpdatesWhenAnonymous()
    version = _read_version(letter, version)
    address, mailbox = verification.mailbox_of(letter=letter, email=email, key=key)
    with transaction.atomic():
        signed = Signature.objects.filter(letter=letter, mailbox_hash=mailbox).values(
            "withdrawn_on"
        )
        # A mailbox that took an anonymous token has signed too; one query for both.
        tokens = Issuance.objects.filter(letter=letter, mailbox_hash=mailbox).values(
            withdrawn_on=Value(None, output_field=DateField())
        )
        previous = next(iter(signed.union(tokens, all=True)[:1]), None)
        if previous is not None:
            # Nothing about this request is kept: it cannot lead to a signature.
            details, updates = SignerDetails(tier=details.tier), False
        row = verification.issue(
            letter=letter,
            mailbox=mailbox,
            purpose=Purpose.SIGN,
            details=details,
            updates_address=encrypt_address(address) if updates else None,
            language=language,
            version=version,
        )
        context: dict[str, Any] = {
            "language": language,
            "title": letter_title(letter, language),
            # docs/design.md section 8c fixes the public letter page at /l/<slug>/.
            "letter_url": letter_url(slug=letter.slug),
            "withdraw_url": absolute("signing:withdraw", slug=letter.slug),
        }
        if previous is not None:
            context["withdrawn_on"] = previous["withdrawn_on"]
            mail_send("already_signed", to=address, context=context, language=language)
            return
        context.update(
            code=codes.verification_code(row.nonce),
            link=absolute("signing:confirm", slug=letter.slug, token=codes.link_token(row.nonce)),
            minutes=settings.SIGNING_CODE_TTL_SECONDS // 60,
        )
        mail_send("verify", to=address, context=context, language=language)


def _read_version(letter: Letter, version: int | None) -> int:
    """The version the signer read (the page's, or the current one when a client sends none);
    refused when the letter has been amended since."""
    if version is not None and version != letter.version:
        raise LetterAmended()
    return letter.version


def create_signature(
    *,
    letter: Letter,
    details: SignerDetails,
    version: int | None,
    mailbox: str | None = None,
    invite_id: int | None = None,
    updates_address: bytes | None = None,
    updates_language: str = "",
    counted: bool = True,
) -> Receipt | None:
    """Insert the signature and count it; None if this mailbox or invite already signed.

    `version` is the one the signer read, refused if no longer current; None takes the
    current one (an invite-code signer whose client sent none). `counted=False` leaves the
    counters alone, for a signature that replaces one of the same tier (services/reconfirm.py).

    The savepoint turns the unique constraint into the answer "already signed", which is what
    keeps one signature per mailbox under any number of concurrent confirmations.
    """
    # Held to the end of the transaction, so no amendment can come between this check and the
    # signature's place in the log (letters/versions.py).
    current = version_hold(letter_id=letter.pk)
    if version is not None and version != current:
        raise LetterAmended()
    secret = codes.new_receipt_secret()
    today = timezone.localdate()
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                letter=letter,
                tier=details.tier,
                mailbox_hash=mailbox,
                invite_id=invite_id,
                **details.fields(),
                updates_address=updates_address,
                updates_language=updates_language if updates_address is not None else "",
                receipt_commitment=codes.receipt_lookup_hash(secret),
                signed_on=today,
                version=current,
            )
    except IntegrityError:
        return None
    # Same transaction as the signature: it is in the log's queue exactly when it exists.
    log = signature_log_enqueue(signature=signature, receipt_secret=secret)
    if counted:
        counter_add(letter_id=letter.pk, tier=details.tier, delta=1)
    return Receipt(secret=secret, tier=details.tier, signed_on=today, log=log)


def _confirm(letter: Letter, row: Verification) -> Receipt:
    if row.tier == Tier.ANONYMOUS:
        raise AnonymousCode()
    receipt = None
    # Read under the verification row's lock, which token issuance takes first too.
    if not row.confirmed and not getattr(row, "has_token", False):
        details = SignerDetails.stored_in(row)
        address = row.updates_address
        receipt = create_signature(
            letter=letter,
            details=details,
            mailbox=row.mailbox_hash,
            version=row.version,
            updates_address=None if address is None else bytes(address),
            updates_language=row.language,
        )
        verification.mark_used(row)
    if receipt is None:
        raise AlreadySigned()
    return receipt


def signing_confirm(*, letter: Letter, email: str, code: str) -> Receipt:
    """Confirm with the mailbox and the code from its message."""
    key = signable_key(letter)
    _, mailbox = verification.mailbox_of(letter=letter, email=email, key=key)
    with transaction.atomic():
        row = verification.redeem(letter=letter, mailbox=mailbox, purpose=Purpose.SIGN, code=code)
        if row is not None:
            return _confirm(letter, row)
    # Outside the block, so the used-up attempt is committed.
    raise InvalidCode()


def signing_confirm_link(*, letter: Letter, token: str) -> Receipt:
    """Confirm through the emailed link (its POST; the GET only shows a button)."""
    signable_key(letter)
    with transaction.atomic():
        row = verification.by_link(letter=letter, token=token)
        if row is None:
            raise InvalidLink()
        return _confirm(letter, row)


def signing_with_invite(
    *, letter: Letter, invite_code: str, details: SignerDetails, version: int | None = None
) -> Receipt:
    """Sign with a single-use invite code instead of a mailbox."""
    key = signable_key(letter)
    if details.tier == Tier.ANONYMOUS:
        raise InviteForToken()
    if version is not None:
        _read_version(letter, version)
    with transaction.atomic():
        invite = invite_take(letter=letter, key=key, invite_code=invite_code)
        receipt = create_signature(
            letter=letter, details=details, invite_id=invite, version=version
        )
        if receipt is None:
            raise UsedInvite()
        return receipt
