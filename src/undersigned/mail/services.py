"""Writing to and delivering from the outbox."""

from __future__ import annotations

import logging
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from undersigned.mail.models import OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def outbox_enqueue(*, message: EmailMessage) -> OutboxMessage:
    raw = message.message()
    return OutboxMessage.objects.create(
        recipients=list(message.recipients()),
        message=raw.as_bytes(linesep="\r\n"),
        message_id=str(raw["Message-ID"] or ""),
    )


def render_email(
    name: str, *, to: str, context: dict[str, Any], language: str = "en"
) -> EmailMultiAlternatives:
    """Render templates/mail/<name>/{subject.txt,body.txt,body.html} in the given language."""
    with translation.override(language):
        subject = render_to_string(f"mail/{name}/subject.txt", context).strip()
        text = render_to_string(f"mail/{name}/body.txt", context)
        html = render_to_string(f"mail/{name}/body.html", context)
    email = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[to])
    email.attach_alternative(html, "text/html")
    return email


def mail_send(name: str, *, to: str, context: dict[str, Any], language: str = "en") -> None:
    """Queue a templated message; call inside the transaction that causes it."""
    render_email(name, to=to, context=context, language=language).send()


def outbox_claim(*, limit: int = 20) -> list[OutboxMessage]:
    """Lease due messages with a conditional update, so two workers never send the same row."""
    now = timezone.now()
    due = (
        OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    claimed = []
    for pk in list(due):
        lease = now + LEASE
        taken = (
            OutboxMessage.objects.filter(pk=pk, state=OutboxState.PENDING)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .update(leased_until=lease, attempts=F("attempts") + 1)
        )
        if taken:
            claimed.append(OutboxMessage.objects.get(pk=pk))
    return claimed


def _deliver(row: OutboxMessage) -> None:
    raw = bytes(row.message)
    headers = message_from_bytes(raw, policy=policy.SMTP)
    connection = get_connection(backend=settings.OUTBOX_DELIVERY_BACKEND)
    email = _StoredEmail(raw, from_email=str(headers["From"]), to=row.recipients)
    if connection.send_messages([email]) != 1:
        raise RuntimeError("the mail backend did not accept the message")


class _RawMessage:
    """The exact bytes built at enqueue time, so every retry carries the same Message-ID."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\r\n") -> bytes:
        return self.raw

    def get_charset(self) -> None:
        return None


class _StoredEmail(EmailMessage):
    def __init__(self, raw: bytes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._raw = raw

    def message(self) -> Any:  # type: ignore[override] -- bytes already built
        return _RawMessage(self._raw)


def outbox_deliver(*, row: OutboxMessage) -> bool:
    """Send one leased message; on success erase its address and content."""
    try:
        _deliver(row)
    except Exception as exc:  # noqa: BLE001 -- any failure of the mail server means retry later
        failed = row.attempts >= MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=row.pk).update(
            state=OutboxState.FAILED if failed else OutboxState.PENDING,
            next_attempt_at=timezone.now() + backoff(row.attempts),
            leased_until=None,
            last_error=type(exc).__name__[:300],
        )
        logger.warning(
            "outbox message %s failed (attempt %s): %s", row.pk, row.attempts, type(exc).__name__
        )
        return False
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=row.pk).update(
            state=OutboxState.SENT,
            recipients=[],
            message=b"",
            leased_until=None,
            last_error="",
            sent_on=timezone.localdate(),
        )
    return True


def outbox_run_once(*, limit: int = 20) -> int:
    sent = 0
    for row in outbox_claim(limit=limit):
        sent += outbox_deliver(row=row)
    return sent
