"""Writing to and delivering from the outbox."""

from __future__ import annotations

import contextlib
import itertools
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.template.backends.django import Template
from django.template.loader import select_template
from django.utils import timezone, translation

from undersigned.mail.models import OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def message_id() -> str:
    """`<32 random hex digits@the site's host>`: one length for every message, and nothing in it
    to date the message by or to tell which process wrote it (Python's make_msgid has both)."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{secrets.token_hex(16)}@{domain}>"


def _outbox_row(message: EmailMessage) -> OutboxMessage:
    raw = message.message()
    # Built once, here: every retry sends these bytes, so the Message-ID stays the same.
    del raw["Message-ID"]
    raw["Message-ID"] = message_id()
    return OutboxMessage(
        recipients=list(message.recipients()),
        # Django's SafeMIME classes take linesep; SMTP wants CRLF.
        message=raw.as_bytes(linesep="\r\n"),  # type: ignore[call-arg]
        message_id=str(raw["Message-ID"] or ""),
    )


def outbox_enqueue(*, message: EmailMessage) -> OutboxMessage:
    row = _outbox_row(message)
    row.save()
    return row


def outbox_enqueue_many(*, messages: Iterable[EmailMessage], batch: int = 500) -> int:
    """outbox_enqueue for a long list (an update to every subscriber): one INSERT per batch."""
    count = 0
    pending = iter(messages)
    while chunk := [_outbox_row(message) for message in itertools.islice(pending, batch)]:
        OutboxMessage.objects.bulk_create(chunk)
        count += len(chunk)
    return count


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail clients offer their own "unsubscribe", which POSTs
    "List-Unsubscribe=One-Click" to `url`."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _mail_template(name: str, part: str, language: str) -> Template:
    """templates/mail/<name>/<language>/<part> if that translation exists, else the shared one.

    A translation may cover only some parts (say body.txt and body.html); the others fall back.
    """
    template: Template = select_template([f"mail/{name}/{language}/{part}", f"mail/{name}/{part}"])
    return template


def render_email(
    name: str,
    *,
    to: str,
    context: dict[str, Any],
    language: str = "en",
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """Render templates/mail/<name>/{subject.txt,body.txt,body.html} in the given language.

    Each part comes from mail/<name>/<language>/ when that folder has it, else from mail/<name>/
    (see docs/architecture.md, "Email: translations").
    """
    with translation.override(language):
        subject = _mail_template(name, "subject.txt", language).render(context).strip()
        text = _mail_template(name, "body.txt", language).render(context)
        html = _mail_template(name, "body.html", language).render(context)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[to], headers=headers
    )
    email.attach_alternative(html, "text/html")
    return email


def mail_send(
    name: str,
    *,
    to: str,
    context: dict[str, Any],
    language: str = "en",
    headers: dict[str, str] | None = None,
) -> None:
    """Queue a templated message; call inside the transaction that causes it."""
    render_email(name, to=to, context=context, language=language, headers=headers).send()


def outbox_claim(*, limit: int = 50) -> list[OutboxMessage]:
    """Lease due messages with one conditional update, so two workers never send the same row.

    The update re-checks the lease condition, so when two workers pick the same ids only one of
    them stamps its lease token on each row; each then sends exactly the rows carrying its token.
    """
    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    due = list(
        OutboxMessage.objects.filter(free, state=OutboxState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    if not due:
        return []
    token = secrets.token_hex(16)
    OutboxMessage.objects.filter(free, pk__in=due, state=OutboxState.PENDING).update(
        leased_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
        lease_token=token,
        attempts=F("attempts") + 1,
    )
    return list(OutboxMessage.objects.filter(lease_token=token).order_by("id"))


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

    def message(self) -> Any:  # type: ignore[override]  # the bytes are already built
        return _RawMessage(self._raw)


def _mark_failed(row: OutboxMessage, exc: Exception) -> None:
    failed = row.attempts >= MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=row.pk, lease_token=row.lease_token).update(
        state=OutboxState.FAILED if failed else OutboxState.PENDING,
        # An abandoned row waits for nothing: like a sent one, it keeps no time.
        next_attempt_at=None if failed else timezone.now() + backoff(row.attempts),
        leased_until=None,
        last_error=type(exc).__name__[:300],
    )
    logger.warning(
        "outbox message %s failed (attempt %s): %s", row.pk, row.attempts, type(exc).__name__
    )


def _mark_sent(row: OutboxMessage) -> None:
    # The address and content go as soon as the server has the message (docs/design.md 4e), and
    # so do its times and the lease token shared by the rows claimed with it: a date remains.
    OutboxMessage.objects.filter(pk=row.pk, lease_token=row.lease_token).update(
        state=OutboxState.SENT,
        recipients=[],
        message=b"",
        next_attempt_at=None,
        leased_until=None,
        lease_token="",
        last_error="",
        sent_on=timezone.localdate(),
    )


def outbox_deliver(*, rows: list[OutboxMessage]) -> int:
    """Send leased messages over one connection; each row is marked as soon as it is accepted."""
    sent = 0
    connection = get_connection(backend=settings.OUTBOX_DELIVERY_BACKEND, fail_silently=False)
    try:
        connection.open()
    # Whatever the failure (refused, timeout, TLS), every leased row is retried later.
    except Exception as exc:  # noqa: BLE001
        for row in rows:
            _mark_failed(row, exc)
        return 0
    try:
        for row in rows:
            raw = bytes(row.message)
            sender = str(message_from_bytes(raw, policy=policy.SMTP)["From"])
            email = _StoredEmail(raw, from_email=sender, to=row.recipients, connection=connection)
            try:
                accepted = connection.send_messages([email])
                if accepted != 1:
                    raise RuntimeError("the mail backend did not accept the message")
            # Any refusal of this one message: retry it later, go on with the others.
            except Exception as exc:  # noqa: BLE001
                _mark_failed(row, exc)
                continue
            _mark_sent(row)
            sent += 1
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return sent


def outbox_run_once(*, limit: int = 50) -> int:
    rows = outbox_claim(limit=limit)
    return outbox_deliver(rows=rows) if rows else 0
