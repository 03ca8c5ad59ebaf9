"""Issuing and redeeming mailbox verifications (internal to the signing services).

One row per mailbox, letter and purpose. Its code (and link) is reused while it works, so
starting again sends the same code; only expiry, confirmation or too many wrong guesses bring a
fresh nonce and so a fresh code. The message says nothing of the request (services/messages.py):
the web page that started sends its own request along with the code, and the link's page shows
the stored one before its button is pressed. Once confirmed, the row keeps only what answers a
repeat with the same receipt, and dates instead of times (mark_used).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from undersigned.letters.models import Letter
from undersigned.signing import codes
from undersigned.signing.errors import SigningError, TooManyMessages
from undersigned.signing.inputs import SignerDetails
from undersigned.signing.mailbox import check_domain, clean_address, mailbox_hash, normalize_mailbox
from undersigned.signing.models import Issuance, Purpose, Verification

SEND_WINDOW = timedelta(hours=1)
# Repeats of a confirmation are answered until midnight UTC this many days ahead.
REPLAY_DAYS = 2
_BLANK = {
    "name": "",
    "title": "",
    "department": "",
    "location": "",
    "updates_address": None,
    "language": "",
}


def mailbox_of(*, letter: Letter, email: str, key: bytes) -> tuple[str, str]:
    """(address to write to, mailbox hash); a 422 for a malformed address or a foreign domain."""
    try:
        address = clean_address(email)
        check_domain(normalize_mailbox(address), list(letter.domains))
    except ValidationError as exc:
        code = "wrong_domain" if exc.code == "wrong_domain" else "invalid_email"
        raise SigningError(422, code, " ".join(exc.messages)) from exc
    return address, mailbox_hash(key=key, mailbox=normalize_mailbox(address))


def _works(row: Verification, now: datetime) -> bool:
    """Whether the code and link the mailbox last received can still confirm."""
    return (
        not row.confirmed
        and row.expires_at > now
        and row.attempts < settings.SIGNING_CODE_MAX_ATTEMPTS
    )


def issue(
    *,
    letter: Letter,
    mailbox: str,
    purpose: Purpose,
    details: SignerDetails,
    updates_address: bytes | None,
    language: str,
    version: int = 1,
) -> Verification:
    """The verification to mail about now; raises TooManyMessages past the hourly limit.

    Nobody but the mailbox's owner can leave the owner without a working code: the hourly
    limit only stops messages that would repeat a code that still works (the owner has it
    already), while a code that expired, was confirmed or was used up by wrong guesses is
    replaced and sent whatever the count. What bounds a stranger's messages is what each
    costs them: five wrong guesses or the code's lifetime, behind the per-client limits.
    A confirmed row still answering repeats sends its own code again (at most the hourly
    limit until it expires), so a signer who lost the receipt and starts again gets it back.
    The request's details are kept on the row for the link and the API (the web page sends
    its own when it confirms, services/signers.py), so a later start changes them, not the code.

    The row is read under its lock and written back before the lock is released, so parallel
    starts for one mailbox count their messages one after the other and none overwrites an
    attempt taken meanwhile by redeem(); other mailboxes' rows are not locked.
    """
    now = timezone.now()
    pending = Verification.objects.select_for_update().filter(
        letter=letter, mailbox_hash=mailbox, purpose=purpose
    )
    row = pending.first()
    if row is None:
        nonce = codes.new_nonce()
        try:
            with transaction.atomic():
                return Verification.objects.create(
                    letter=letter,
                    mailbox_hash=mailbox,
                    purpose=purpose,
                    nonce=nonce,
                    link_hash=codes.token_hash(codes.link_token(nonce)),
                    tier=details.tier,
                    **details.fields(),
                    updates_address=updates_address,
                    language=language,
                    version=version,
                    expires_at=now + timedelta(seconds=settings.SIGNING_CODE_TTL_SECONDS),
                    sends=1,
                    send_window_start=now,
                )
        except IntegrityError:
            # The same mailbox started twice at once: wait for the row that won, and lock it.
            row = pending.get()
    if row.confirmed and row.expires_at > now:
        # Used, and still answering repeats: its code hands back the same outcome (a lost
        # receipt, say), so it is sent again as it is, stripped and dated as mark_used left it.
        if row.sends >= settings.SIGNING_MAX_SENDS_PER_HOUR:
            raise TooManyMessages().after((row.expires_at - now).total_seconds())
        row.sends += 1
        row.save(update_fields=["sends"])
        return row
    if _works(row, now):
        if now - row.send_window_start >= SEND_WINDOW:
            row.sends, row.send_window_start = 0, now
        if row.sends >= settings.SIGNING_MAX_SENDS_PER_HOUR:
            wait = row.send_window_start + SEND_WINDOW - now
            raise TooManyMessages().after(wait.total_seconds())
    else:
        row.nonce = codes.new_nonce()
        row.link_hash = codes.token_hash(codes.link_token(row.nonce))
        row.expires_at = now + timedelta(seconds=settings.SIGNING_CODE_TTL_SECONDS)
        row.attempts, row.confirmed = 0, False
        row.sends, row.send_window_start = 0, now
    row.tier = details.tier
    for field, value in details.fields().items():
        setattr(row, field, value)
    row.updates_address = updates_address
    row.version = version
    row.language = language
    row.sends += 1
    row.save()
    return row


def redeem(*, letter: Letter, mailbox: str, purpose: Purpose, code: str) -> Verification | None:
    """The verification if `code` is right; every try uses up an attempt first.

    Taking the attempt with a conditional UPDATE before comparing means parallel guesses cannot
    exceed the limit, and it locks the row, so confirmations of one mailbox queue behind it.
    The caller must commit even when this returns None, so the attempt stays counted.
    """
    candidates = Verification.objects.filter(
        letter=letter, mailbox_hash=mailbox, purpose=purpose, expires_at__gt=timezone.now()
    )
    claimed = candidates.filter(attempts__lt=settings.SIGNING_CODE_MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    # Whether the mailbox took an anonymous token, read with the row to save a query.
    taken = Issuance.objects.filter(
        letter=OuterRef("letter"), mailbox_hash=OuterRef("mailbox_hash")
    )
    row = candidates.annotate(has_token=Exists(taken)).first()
    if row is None or not codes.codes_match(code, codes.verification_code(row.nonce)):
        return None
    return row


def by_link(*, token: str, purpose: Purpose) -> Verification | None:
    """The verification a link confirms, locked like redeem() does (and annotated alike).

    Links name no letter (they go to a neutral path), so the token alone finds the row; its
    hash is unique across letters. Both confirmation paths lock the verification row before
    inserting the signature; taking the locks in one order is what keeps a link and a code
    confirmed at once from deadlocking.
    """
    taken = Issuance.objects.filter(
        letter=OuterRef("letter"), mailbox_hash=OuterRef("mailbox_hash")
    )
    return (
        Verification.objects.select_for_update()
        .filter(link_hash=codes.token_hash(token), purpose=purpose, expires_at__gt=timezone.now())
        .annotate(has_token=Exists(taken))
        .first()
    )


def replay_until() -> datetime:
    """When a confirmed verification stops answering repeats: midnight UTC after tomorrow, a
    date rather than a time, so the row does not date its confirmation."""
    today = timezone.now().astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=REPLAY_DAYS), time.min, tzinfo=UTC)


def mark_used(row: Verification) -> None:
    """Keep the row to answer repeats with the same receipt (services/signers.py), but drop
    everything personal in it and every time finer than a date (docs/threat-model.md)."""
    until = replay_until()
    Verification.objects.filter(pk=row.pk).update(
        confirmed=True, **_BLANK, expires_at=until, send_window_start=until, sends=0
    )
