"""Helpers the signing services share: the letter's key, absolute links, log entries."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from undersigned.crypto import logentries
from undersigned.letters.models import Letter, mailbox_key_of
from undersigned.letters.states import SIGNABLE_STATES
from undersigned.publiclog.models import LogState
from undersigned.publiclog.services import LogReceipt, log_enqueue_signature, log_open
from undersigned.signing import codes
from undersigned.signing.errors import Closed, UnknownInvite, UsedInvite
from undersigned.signing.models import InviteCode, IssuanceKey, Signature


def signable_key(letter: Letter) -> bytes:
    """The mailbox key of a letter that accepts signatures now."""
    if letter.state not in SIGNABLE_STATES:
        raise Closed()
    return letter_key(letter)


def letter_key(letter: Letter) -> bytes:
    """The mailbox key while it exists (withdrawals go on after a letter closes)."""
    key = mailbox_key_of(letter)
    if key is None:
        raise Closed()
    return key


def absolute(name: str, **kwargs: str) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs)


def invite_take(*, letter: Letter, key: bytes, invite_code: str) -> int:
    """Use up a single-use invite code; its id. Call inside the transaction that spends it.

    The conditional update makes concurrent uses of one code end with exactly one winner.
    """
    code = codes.normalize_invite_code(invite_code)
    if code is None:
        raise UnknownInvite()
    invite = (
        InviteCode.objects.filter(
            letter=letter, code_hash=codes.invite_code_hash(key=key, code=code)
        )
        .values_list("pk", flat=True)
        .first()
    )
    if invite is None:
        raise UnknownInvite()
    taken = InviteCode.objects.filter(pk=invite, used_on__isnull=True).update(
        used_on=timezone.localdate()
    )
    if not taken:
        raise UsedInvite()
    return int(invite)


def signature_log_enqueue(
    *, signature: Signature, receipt_secret: str, token: bytes | None = None
) -> LogReceipt:
    """Queue a confirmed signature's log entry; returns the receipt parts the signer must keep.

    The named tiers bind the fields they show to someone, salted (docs/log.md).
    """
    fields = None
    if signature.tier in logentries.NAMED_FIELD_TIERS:
        fields = {name: getattr(signature, name) for name in logentries.FIELD_NAMES}
    entry = logentries.signature_entry(
        tier=signature.tier,
        date=signature.signed_on,
        secret=receipt_secret,
        fields=fields,
        token=token,
    )
    letter = signature.letter
    return log_enqueue_signature(
        letter=letter,
        entry=entry,
        signature_id=signature.pk,
        genesis_keys=lambda: issuance_key_of(letter),
    )


def issuance_key_of(letter: Letter) -> tuple[bytes | None, bytes | None]:
    """The letter's stored issuance key (SPKI) and token challenge, for its log's genesis entry."""
    row = IssuanceKey.objects.filter(letter=letter).values_list("spki", "token_challenge").first()
    return (bytes(row[0]), bytes(row[1])) if row is not None else (None, None)


def letter_log_open(*, letter: Letter) -> LogState:
    """Open the letter's log (a no-op if open), its genesis carrying the stored issuance key."""
    key, challenge = issuance_key_of(letter)
    return log_open(letter=letter, issuance_key=key, token_challenge=challenge)
