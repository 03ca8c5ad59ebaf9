"""Signing: by work mailbox (start, then a code or link) or by invite code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from undersigned.letters.locks import version_hold
from undersigned.letters.models import Letter
from undersigned.publiclog.services import LogReceipt, log_receipt_of
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
    invite_take,
    signable_key,
    signature_log_enqueue,
)
from undersigned.signing.services.counters import counter_add
from undersigned.signing.services.messages import code_message_send


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
    """Send the mailbox a code; the caller cannot tell whether it signed before, and neither
    can anyone who reads the message (services/messages.py): what happened is shown on the
    page once the code or link is used.

    With the anonymous tier the code is for a token (services/anonymous.py), not a signature.
    """
    key = signable_key(letter)
    if details.tier == Tier.ANONYMOUS and updates:
        raise NoUpdatesWhenAnonymous()
    version = _read_version(letter, version)
    address, mailbox = verification.mailbox_of(letter=letter, email=email, key=key)
    with transaction.atomic():
        signed = Signature.objects.filter(letter=letter, mailbox_hash=mailbox).values("pk")
        # A mailbox that took an anonymous token has signed too; one query for both.
        tokens = Issuance.objects.filter(letter=letter, mailbox_hash=mailbox).values("pk")
        if signed.union(tokens, all=True)[:1]:
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
        code_message_send(row=row, address=address, language=language)


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
    secret: str | None = None,
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
    secret = secret or codes.new_receipt_secret()
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


@dataclass(frozen=True)
class Requested:
    """What the signer's own page asks to sign, sent with the code (web/public/signing.py);
    it wins over the details a later start may have left on the verification row."""

    details: SignerDetails
    updates: bool


def _replay(letter: Letter, row: Verification) -> Receipt:
    """The receipt this confirmed verification produced, handed out again: a response lost
    after the signature was committed must not lose the receipt for good."""
    secret = codes.receipt_secret_for(row.nonce)
    signature = (
        Signature.objects.filter(
            letter=letter, receipt_commitment=codes.receipt_lookup_hash(secret)
        )
        .only("pk", "tier", "signed_on", "withdrawn_on")
        .first()
    )
    if signature is None or signature.withdrawn_on is not None:
        raise AlreadySigned()
    log = log_receipt_of(letter=letter, signature_id=signature.pk)
    if log is None:  # pragma: no cover -- a signature and its entry are written together
        raise AlreadySigned()
    return Receipt(secret=secret, tier=signature.tier, signed_on=signature.signed_on, log=log)


def _confirm(
    letter: Letter, row: Verification, requested: Requested | None = None, address: str = ""
) -> Receipt:
    if row.confirmed:
        return _replay(letter, row)
    details = requested.details if requested else SignerDetails.stored_in(row)
    if details.tier == Tier.ANONYMOUS:
        raise AnonymousCode()
    receipt = None
    # Read under the verification row's lock, which token issuance takes first too.
    if not getattr(row, "has_token", False):
        if requested is None:
            stored = row.updates_address
            updates_address = None if stored is None else bytes(stored)
        else:
            updates_address = encrypt_address(address) if requested.updates else None
        receipt = create_signature(
            letter=letter,
            details=details,
            mailbox=row.mailbox_hash,
            version=row.version,
            updates_address=updates_address,
            updates_language=row.language,
            secret=codes.receipt_secret_for(row.nonce),
        )
        verification.mark_used(row)
    if receipt is None:
        raise AlreadySigned()
    return receipt


def signing_confirm(
    *, letter: Letter, email: str, code: str, requested: Requested | None = None
) -> Receipt:
    """Confirm with the mailbox and the code from its message; the same code again, while it
    is valid, answers with the same receipt."""
    key = signable_key(letter)
    address, mailbox = verification.mailbox_of(letter=letter, email=email, key=key)
    if requested is not None and requested.details.tier == Tier.ANONYMOUS and requested.updates:
        raise NoUpdatesWhenAnonymous()
    with transaction.atomic():
        row = verification.redeem(letter=letter, mailbox=mailbox, purpose=Purpose.SIGN, code=code)
        if row is not None:
            return _confirm(letter, row, requested, address)
    # Outside the block, so the used-up attempt is committed.
    raise InvalidCode()


def signing_confirm_link(*, token: str) -> tuple[Letter, Receipt]:
    """Confirm through the emailed link (its POST; the GET only shows a button), which names
    no letter: the token finds it."""
    with transaction.atomic():
        row = verification.by_link(token=token, purpose=Purpose.SIGN)
        if row is None:
            raise InvalidLink()
        letter = row.letter
        signable_key(letter)
        return letter, _confirm(letter, row)


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
