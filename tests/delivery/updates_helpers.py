"""Subscribers made through the real signing flow, and the update messages waiting for them."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from django.utils import timezone

from tests.signing.helpers import sign
from tests.support.factories import make_letter, make_organizer
from undersigned.accounts.models import Membership, Role, User
from undersigned.delivery.models import Update
from undersigned.delivery.services import update_send, updates_fanout_job
from undersigned.letters.models import Letter, LetterText
from undersigned.mail.models import OutboxMessage, OutboxState
from undersigned.signing.models import Signature

UNSUBSCRIBE_LINK = re.compile(r"https?://\S+/unsubscribe/([0-9]+\.[A-Za-z0-9_-]+)/\?lang=\w+")


def letter_in(*languages: str, state: str = "open", owner: User | None = None) -> Letter:
    """An English letter with texts in the other `languages` too (Arabic through the factory)."""
    letter = make_letter(state=state, arabic="ar" in languages, owner=owner)
    for code in languages:
        if code not in ("en", "ar"):
            LetterText.objects.create(letter=letter, language=code, title=f"Title {code}", body=".")
    return letter


def member(letter: Letter, role: str) -> User:
    user = make_organizer()
    Membership.objects.create(user=user, letter=letter, role=Role(role))
    return user


def subscribe(letter: Letter, email: str, language: str = "en", updates: bool = True) -> Signature:
    """Sign for real, asking for updates in `language`; the verification message is dropped."""
    sign(letter, email, language=language, updates=updates)  # type: ignore[arg-type]  # passed on to a bool
    OutboxMessage.objects.all().delete()
    return Signature.objects.filter(letter=letter).latest("pk")


def texts(**per_language: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {code: {"subject": s, "body": b} for code, (s, b) in per_language.items()}


def queued() -> dict[str, EmailMessage]:
    """Every pending message by its one recipient."""
    found: dict[str, EmailMessage] = {}
    for row in OutboxMessage.objects.filter(state=OutboxState.PENDING):
        message = message_from_bytes(bytes(row.message), policy=policy.default)
        found[row.recipients[0]] = message  # type: ignore[assignment]  # policy.default makes EmailMessage
    return found


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def unsubscribe_token(message: EmailMessage) -> str:
    match = UNSUBSCRIBE_LINK.search(text_of(message))
    assert match is not None, "no unsubscribe link"
    return match.group(1)


def age_updates(letter: Letter, days: float) -> None:
    """Move the letter's updates back in time instead of waiting."""
    for update in Update.objects.filter(letter=letter):
        update.created_at = timezone.now() - timedelta(days=days)
        update.save(update_fields=["created_at"])


def fan_out() -> int:
    """Run the worker's update job until every update is written to the outbox."""
    total = 0
    for _ in range(1000):  # bounded: a test's lists are far shorter
        queued = updates_fanout_job()
        if not Update.objects.filter(done=False).exists():
            return total + queued
        total += queued
    raise AssertionError("updates were still being written after 1000 rounds")


def send_update(**kwargs: Any) -> Update:
    """update_send, then the worker's fan-out, as an organizer sees it a moment later."""
    update = update_send(**kwargs)
    fan_out()
    update.refresh_from_db()
    return update
