"""Anonymous signatures: a verified mailbox or invite code gets one blind token, which later
signs without anyone being able to tell whose it was (docs/design.md section 6, docs/anonymous.md).

Issuance and redemption share nothing the server can join on. Issuance leaves an Issuance row
(mailbox hash, date, random id) or a used invite code, and one more in the issued counter; the
verification row is deleted rather than kept until expiry, since its times and sequential id
would date the issuance. Redemption leaves an anonymous Signature (date, optional department,
the token's nonce) and its log entry. Neither holds a time finer than a date.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from undersigned.crypto import tokens
from undersigned.letters.locks import version_hold
from undersigned.letters.models import Letter
from undersigned.publiclog.models import LogState
from undersigned.publiclog.services import LogReceipt, log_open
from undersigned.signing import codes
from undersigned.signing.errors import (
    AlreadySigned,
    AnonymousUnavailable,
    InvalidCode,
    InvalidToken,
    InvalidTokenRequest,
    NamedCode,
    TokenForAnotherLetter,
    TokenUsed,
    UnknownInvite,
)
from undersigned.signing.models import (
    ISSUED_COUNTER,
    REDEEMED_COUNTER,
    Issuance,
    IssuanceKey,
    Purpose,
    Signature,
    Tier,
    Verification,
)
from undersigned.signing.services import verification
from undersigned.signing.services.common import invite_take, signable_key, signature_log_enqueue
from undersigned.signing.services.counters import counter_add
from undersigned.signing.services.issuance_keys import Issuer, issuance_key_create, issuer_of


def anonymous_open(*, letter: Letter) -> IssuanceKey:
    """The letter's issuance key, made if need be and published in its log's genesis entry.

    Done when the letter opens; the anonymous pages and services call it too, for letters
    opened before anonymous signing existed. One query once both exist.
    """
    logged = LogState.objects.filter(letter_id=OuterRef("letter_id"))
    found = IssuanceKey.objects.filter(letter=letter).annotate(logged=Exists(logged)).first()
    if found is not None and found.logged:
        return found
    key = issuance_key_create(letter=letter)
    log_open(
        letter=letter, issuance_key=bytes(key.spki), token_challenge=bytes(key.token_challenge)
    )
    return key


def _issuer(letter: Letter) -> Issuer:
    issuer = issuer_of(anonymous_open(letter=letter))
    if issuer.private is None:
        raise AnonymousUnavailable()
    return issuer


def _request(issuer: Issuer, token_request: bytes) -> tokens.TokenRequest:
    """Parse and check the request before anything is used up, so a bad one costs nothing."""
    try:
        request = tokens.TokenRequest.decode(token_request)
    except tokens.TokenError as exc:
        raise InvalidTokenRequest(message=f"This is not a token request: {exc}.") from exc
    if request.truncated_token_key_id != issuer.public.truncated_token_key_id:
        raise InvalidTokenRequest()
    return request


def _sign(issuer: Issuer, request: tokens.TokenRequest) -> bytes:
    if issuer.private is None:
        raise AnonymousUnavailable()
    try:
        response = tokens.issue_token_response(issuer.private, request, issuer_key=issuer.public)
    except tokens.TokenError as exc:
        raise InvalidTokenRequest(message=f"This token request cannot be signed: {exc}.") from exc
    return response.encode()


def token_issue(*, letter: Letter, email: str, code: str, token_request: bytes) -> bytes:
    """Blind-sign a token request for a mailbox that proves itself with its emailed code.

    The mailbox is then used up exactly as by a named signature. Returns the TokenResponse.
    """
    key = signable_key(letter)
    _, mailbox = verification.mailbox_of(letter=letter, email=email, key=key)
    issuer = _issuer(letter)
    request = _request(issuer, token_request)
    with transaction.atomic():
        row = verification.redeem(letter=letter, mailbox=mailbox, purpose=Purpose.SIGN, code=code)
        if row is not None:
            if row.confirmed:
                # The code of a signature already given (sent again to answer repeats).
                raise AlreadySigned()
            if row.tier != Tier.ANONYMOUS:
                raise NamedCode()
            # Read under the verification row's lock, which every confirmation of this mailbox
            # takes first; a second token for it is refused by the unique constraint.
            if Signature.objects.filter(letter=letter, mailbox_hash=mailbox).exists():
                raise AlreadySigned()
            try:
                with transaction.atomic():
                    Issuance.objects.create(letter=letter, mailbox_hash=mailbox)
            except IntegrityError as exc:
                raise AlreadySigned() from exc
            Verification.objects.filter(pk=row.pk).delete()
            counter_add(letter_id=letter.pk, tier=ISSUED_COUNTER, delta=1)
            return _sign(issuer, request)
    # Outside the block, so the used-up attempt is committed.
    raise InvalidCode()


def token_issue_with_invite(*, letter: Letter, invite_code: str, token_request: bytes) -> bytes:
    """Blind-sign a token request for the holder of a single-use invite code."""
    key = signable_key(letter)
    # A code that cannot be one of ours is refused before the token request is even read.
    if codes.normalize_invite_code(invite_code) is None:
        raise UnknownInvite()
    issuer = _issuer(letter)
    request = _request(issuer, token_request)
    with transaction.atomic():
        invite_take(letter=letter, key=key, invite_code=invite_code)
        counter_add(letter_id=letter.pk, tier=ISSUED_COUNTER, delta=1)
        return _sign(issuer, request)


def _verified(letter: Letter, token: bytes) -> tokens.Token:
    row = IssuanceKey.objects.filter(letter=letter).first()
    if row is None:
        # No key was ever made, so no token of this letter can exist.
        raise TokenForAnotherLetter()
    issuer = issuer_of(row)
    try:
        parsed = tokens.Token.decode(token)
    except tokens.TokenError as exc:
        raise InvalidToken(message=f"This is not an anonymous token: {exc}.") from exc
    if (
        parsed.token_key_id != issuer.public.token_key_id
        or parsed.challenge_digest != hashlib.sha256(issuer.challenge).digest()
    ):
        raise TokenForAnotherLetter()
    try:
        return tokens.verify_token(parsed, issuer.public, issuer.challenge)
    except tokens.TokenError as exc:
        raise InvalidToken(
            message="This token's signature does not verify: it was altered or made up."
        ) from exc


@dataclass(frozen=True)
class AnonymousReceipt:
    """What an anonymous signer gets once.

    Only commitments to the secret are kept (in the signature, and in the log entry, which
    `log` holds as the log will).
    """

    secret: str
    signed_on: date
    log: LogReceipt
    tier: str = Tier.ANONYMOUS.value


def anonymous_signature_redeem(
    *, letter: Letter, token: bytes, department: str = ""
) -> AnonymousReceipt:
    """Sign with a token: checked against the letter's key, its nonce never used before."""
    signable_key(letter)
    parsed = _verified(letter, token)
    secret = codes.new_receipt_secret()
    today = timezone.localdate()
    with transaction.atomic():
        # A token is redeemed for the text as it is now; the hold keeps the version and the
        # entry's place in the log in agreement (letters/versions.py).
        version = version_hold(letter_id=letter.pk)
        try:
            with transaction.atomic():
                signature = Signature.objects.create(
                    letter=letter,
                    tier=Tier.ANONYMOUS,
                    version=version,
                    department=department,
                    receipt_commitment=codes.receipt_lookup_hash(secret),
                    signed_on=today,
                    token_nonce=parsed.nonce.hex(),
                )
        except IntegrityError as exc:
            raise TokenUsed() from exc
        counter_add(letter_id=letter.pk, tier=Tier.ANONYMOUS, delta=1)
        counter_add(letter_id=letter.pk, tier=REDEEMED_COUNTER, delta=1)
        log = signature_log_enqueue(
            signature=signature, receipt_secret=secret, token=parsed.encode()
        )
    return AnonymousReceipt(secret=secret, signed_on=today, log=log)
