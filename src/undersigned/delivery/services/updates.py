"""Updates from the organizers to signers who asked for them, and leaving that list.

One update per letter every UPDATE_INTERVAL, checked under the letter's row lock so two
organizers pressing "send" together cannot both pass. Sending only stores the update: the
worker then writes one outbox message per subscriber, in the subscriber's language (else the
letter's default), UPDATES_FANOUT_BATCH subscribers per transaction that also moves the
update's cursor, so a list of tens of thousands never holds up the organizer's request or one
long transaction, and a worker killed mid-way neither skips nor repeats anyone. Subscribers who
leave before their batch is written get nothing; people who sign after the update was written
do not get it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from undersigned.accounts.models import User
from undersigned.common.text import clean_text
from undersigned.delivery.models import Update, UpdateKind
from undersigned.letters.locks import letter_locked
from undersigned.letters.models import Letter, LetterText, LetterVersion
from undersigned.letters.presentation import default_first, letter_url, title_in
from undersigned.letters.states import UPDATE_STATES, State
from undersigned.mail.services import outbox_enqueue_many, render_email, unsubscribe_headers
from undersigned.signing.codes import signature_link_id, signature_link_token
from undersigned.signing.mailbox import decrypt_address
from undersigned.signing.models import Signature
from undersigned.signing.selectors import ACTIVE
from undersigned.signing.services.reconfirm import reconfirm_message

logger = logging.getLogger(__name__)

UPDATE_INTERVAL = timedelta(days=3)
SUBJECT_MAX = 200
BODY_MAX = 10_000
UNSUBSCRIBE = "unsubscribe"

Texts = Mapping[str, Mapping[str, str]]
# What the organizers' form calls each part.
_LABELS = {"subject": "subject", "body": "text"}


def update_next_at(*, last_sent: datetime | None) -> datetime | None:
    """When the next update may go, given the last one; None if it may go now."""
    if last_sent is None:
        return None
    when = last_sent + UPDATE_INTERVAL
    return when if when > timezone.now() else None


def when_text(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _texts_clean(texts: Texts, *, languages: list[str], default: str) -> dict[str, dict[str, str]]:
    """Each language's subject and body checked; errors are keyed by the form's field names."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(texts) - set(languages))
    if unknown:
        errors["__all__"] = [
            f"This letter has no text in {', '.join(unknown)}; write the update only in the "
            f"letter's languages ({', '.join(languages)})."
        ]
    cleaned: dict[str, dict[str, str]] = {}
    for language in languages:
        given = texts.get(language, {})
        parts: dict[str, str] = {}
        for part, limit in (("subject", SUBJECT_MAX), ("body", BODY_MAX)):
            try:
                parts[part] = clean_text(
                    str(given.get(part, "")),
                    field=_LABELS[part],
                    max_length=limit,
                    multiline=part == "body",
                )
            except ValidationError as exc:
                errors[f"{part}_{language}"] = exc.messages
        if len(parts) < 2:
            continue
        if language == default or any(parts.values()):
            # The default language reaches everyone else, so it is required; another language
            # is optional, but half of one (a subject without a body) is a mistake.
            for part in ("subject", "body"):
                if parts[part]:
                    continue
                errors[f"{part}_{language}"] = [
                    f"Write the {_LABELS[part]}: the letter's main language is required."
                    if language == default
                    else f"Write the {_LABELS[part]} in this language too, or leave both empty."
                ]
            cleaned[language] = parts
    if errors:
        raise ValidationError(errors)
    return cleaned


def _unsubscribe_url(letter: Letter, signature_id: int, language: str) -> str:
    token = signature_link_token(signature_id, UNSUBSCRIBE)
    path = reverse("delivery:unsubscribe", kwargs={"slug": letter.slug, "token": token})
    return f"{settings.SITE_URL}{path}?lang={language}"


def update_send(*, letter: Letter, user: User, texts: Texts) -> Update:
    """Store an update and queue it to every active subscriber. The caller checked the role.

    `texts` maps a language to {"subject": ..., "body": ...}: the letter's default language is
    required, its other languages optional. Refused (ValidationError) for a letter that is not
    open, closed or delivered, within UPDATE_INTERVAL of the last update, or for bad text.
    """
    titles = dict(LetterText.objects.filter(letter=letter).values_list("language", "title"))
    languages = default_first(titles, letter.default_language)
    cleaned = _texts_clean(texts, languages=languages, default=letter.default_language)
    with transaction.atomic():
        letter = letter_locked(letter)
        if letter.state not in UPDATE_STATES:
            raise ValidationError(
                "Updates go out while a letter is open, closed or delivered; this one is "
                f"{State(letter.state).label.lower()}."
            )
        last = (
            Update.objects.filter(letter=letter, kind=UpdateKind.UPDATE)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        next_at = update_next_at(last_sent=last)
        if next_at is not None:
            raise ValidationError(
                f"One update every {UPDATE_INTERVAL.days} days: the next one can be sent from "
                f"{when_text(next_at)}."
            )
        newest = Signature.objects.filter(letter=letter).aggregate(newest=Max("pk"))["newest"]
        update = Update.objects.create(
            letter=letter, texts=cleaned, created_by=user, until_signature=newest or 0
        )
    logger.info("letter %s: update %s written, to be sent by the worker", letter.slug, update.pk)
    return update


def reconfirm_requests_queue(*, letter: Letter, version: LetterVersion) -> None:
    """Have the worker ask every subscriber whose signature is for an earlier version.

    Written in the amendment's transaction, so the requests exist exactly when the amendment
    does; the worker writes the messages in batches (delivery/services/updates.py), so an
    amendment never holds the letter's lock while thousands of messages are rendered.
    """
    newest = Signature.objects.filter(letter=letter).aggregate(newest=Max("pk"))["newest"]
    Update.objects.create(
        letter=letter,
        kind=UpdateKind.RECONFIRM,
        version=version.number,
        texts={},
        until_signature=newest or 0,
    )


def update_fanout(*, update_id: int, batch: int | None = None) -> int:
    """Queue the update to its next `batch` subscribers (by default UPDATES_FANOUT_BATCH);
    returns how many were queued.

    The update row is locked while the batch is written (other workers skip it), and the
    messages and the cursor commit together.
    """
    batch = batch or settings.UPDATES_FANOUT_BATCH
    with transaction.atomic():
        update = (
            Update.objects.select_for_update(skip_locked=True)
            .filter(pk=update_id, done=False)
            .select_related("letter")
            .first()
        )
        if update is None:
            return 0
        letter = update.letter
        titles = dict(LetterText.objects.filter(letter=letter).values_list("language", "title"))
        subscribers = Signature.objects.filter(
            ACTIVE,
            letter=letter,
            updates_address__isnull=False,
            pk__gt=update.queued_through,
            pk__lte=update.until_signature,
        )
        if update.kind == UpdateKind.RECONFIRM:
            # Only signatures still on an earlier text; one that moved is a newer row.
            subscribers = subscribers.filter(version__lt=update.version)
        rows = list(
            subscribers.order_by("pk").values_list(
                "pk", "updates_address", "updates_language", "version"
            )[:batch]
        )
        unreadable: list[int] = []
        queued = outbox_enqueue_many(messages=_messages(update, titles, rows, unreadable))
        update.recipients += queued
        update.done = len(rows) < batch
        if rows:
            update.queued_through = rows[-1][0]
        update.save(update_fields=["recipients", "done", "queued_through"])
    if unreadable:
        logger.warning(
            "update %s: %s subscriber addresses could not be decrypted", update.pk, len(unreadable)
        )
    if update.done:
        logger.info("update %s queued to %s subscribers", update.pk, update.recipients)
    return queued


def updates_fanout_job() -> int:
    """The worker's job: one batch of each update still being written (ten at most a round)."""
    pending = Update.objects.filter(done=False).order_by("id").values_list("pk", flat=True)
    return sum(update_fanout(update_id=update_id) for update_id in list(pending[:10]))


def _messages(
    update: Update,
    titles: dict[str, str],
    subscribers: list[tuple[int, Any, str, int]],
    unreadable: list[int],
) -> Iterator[EmailMultiAlternatives]:
    """One message per subscriber (id, sealed address, language, signed version), with no
    query per row. Addresses that cannot be decrypted are skipped, their ids put in
    `unreadable`."""
    letter = update.letter
    amended = None
    if update.kind == UpdateKind.RECONFIRM and update.version is not None:
        amended = LetterVersion.objects.get(letter=letter, number=update.version)
    for signature_id, sealed, wanted, signed_version in subscribers:
        if sealed is None:  # excluded by the filter; this only tells the type checker
            continue
        try:
            address = decrypt_address(bytes(sealed))
        except InvalidToken:
            # Sealed under an earlier SECRET_KEY: nobody can read it, so nobody gets it.
            unreadable.append(signature_id)
            continue
        if amended is not None:
            language = wanted or letter.default_language
            yield reconfirm_message(
                letter=letter,
                signature_id=signature_id,
                address=address,
                language=language,
                signed_version=signed_version,
                version=amended,
                title=title_in(
                    titles, language=language, default=letter.default_language, slug=letter.slug
                ),
                unsubscribe_url=_unsubscribe_url(letter, signature_id, language),
            )
        else:
            yield _update_message(update, titles, signature_id, address, wanted)


def _update_message(
    update: Update, titles: dict[str, str], signature_id: int, address: str, wanted: str
) -> EmailMultiAlternatives:
    letter = update.letter
    cleaned = update.texts
    language = wanted if wanted in cleaned else letter.default_language
    unsubscribe = _unsubscribe_url(letter, signature_id, language)
    return render_email(
        "update",
        to=address,
        language=language,
        context={
            "language": language,
            "title": title_in(
                titles, language=language, default=letter.default_language, slug=letter.slug
            ),
            "subject": cleaned[language]["subject"],
            "body": cleaned[language]["body"],
            "letter_url": letter_url(slug=letter.slug)
            + ("" if language == letter.default_language else f"?lang={language}"),
            "unsubscribe_url": unsubscribe,
        },
        headers=unsubscribe_headers(unsubscribe),
    )


def updates_unsubscribe(*, letter: Letter, token: str) -> bool:
    """Erase the address and language behind an unsubscribe token; False if it is not genuine.

    Unsubscribing twice, or after withdrawing, is the same success: the answer must not tell
    whether the address was still there.
    """
    signature_id = signature_link_id(token, UNSUBSCRIBE)
    if signature_id is None:
        return False
    # Matched rows, changed or not: an already-erased address still counts as this signer's.
    matched = Signature.objects.filter(pk=signature_id, letter=letter).update(
        updates_address=None, updates_language=""
    )
    return matched == 1
