"""The outbox: written in the caller's transaction, delivered over real SMTP, erased once sent."""

from __future__ import annotations

import pytest
from django.core.mail import send_mail
from django.db import transaction

from tests.support.smtp import SmtpSink
from undersigned.mail.models import OutboxMessage, OutboxState
from undersigned.mail.services import outbox_run_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_outbox_send_mail_delivers_over_smtp_and_erases_address(smtp: SmtpSink) -> None:
    send_mail("Hello", "Body text", None, ["canary-outbox@example.org"])

    assert outbox_run_once() == 1

    received = smtp.wait_for("canary-outbox@example.org")
    assert [m.subject for m in received] == ["Hello"]
    row = OutboxMessage.objects.get()
    assert (row.state, row.recipients, bytes(row.message)) == (OutboxState.SENT, [], b"")


def test_outbox_rolled_back_transaction_sends_nothing(smtp: SmtpSink) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail("Never", "Body", None, ["nobody@example.org"])
        raise RuntimeError("the change that caused the message failed")

    assert (OutboxMessage.objects.count(), outbox_run_once(), smtp.messages) == (0, 0, [])


def test_outbox_unreachable_server_retries_later(settings: object) -> None:
    settings.OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # type: ignore[attr-defined]
    send_mail("Later", "Body", None, ["later@example.org"])

    assert outbox_run_once() == 0

    row = OutboxMessage.objects.get()
    assert (row.state, row.attempts, row.recipients) == (
        OutboxState.PENDING,
        1,
        ["later@example.org"],
    )
    assert outbox_run_once() == 0  # backoff: not due again yet
    assert OutboxMessage.objects.get().attempts == 1
