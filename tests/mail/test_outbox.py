"""The outbox: written in the caller's transaction, delivered over real SMTP, erased once sent."""

from __future__ import annotations

import signal

import pytest
from django.core.mail import send_mail
from django.db import transaction

from tests.support import processes
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
    def change_that_fails() -> None:
        with transaction.atomic():
            send_mail("Never", "Body", None, ["nobody@example.org"])
            raise RuntimeError("the change that caused the message failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

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


@pytest.mark.slow
def test_outbox_worker_killed_mid_send_sends_each_message_once() -> None:
    for number in range(3):
        send_mail(f"Message {number}", "Body", None, [f"once{number}@example.org"])
    with SmtpSink() as sink:
        sink.rcpt_delay = 30.0  # the first send hangs after MAIL FROM, before the server accepts
        env = {"EMAIL_URL": f"smtp://127.0.0.1:{sink.port}", "OUTBOX_LEASE_SECONDS": "2"}
        worker = processes.start("worker", **env)
        try:
            assert sink.rcpt_seen.wait(timeout=30), "the worker never reached the SMTP server"
        finally:
            processes.stop(worker, signal.SIGKILL)
        assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 0
        sink.rcpt_delay = 0.0

        restarted = processes.start("worker", **env)
        try:
            received = [sink.wait_for(f"once{n}@example.org", timeout=30) for n in range(3)]
        finally:
            processes.stop(restarted, signal.SIGTERM)

    assert [len(messages) for messages in received] == [1, 1, 1]
    assert sorted(m.subject for messages in received for m in messages) == [
        "Message 0",
        "Message 1",
        "Message 2",
    ]
    assert list(OutboxMessage.objects.values_list("state", flat=True)) == [OutboxState.SENT] * 3
