"""The outbox: written in the caller's transaction, delivered over real SMTP, erased once sent."""

from __future__ import annotations

import re
import signal
import threading
import time

import pytest
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone

from tests.support import processes
from tests.support.smtp import SmtpSink
from undersigned.campaign.worker import run_worker
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


def _times(row: OutboxMessage) -> dict[str, object]:
    """Every column of the row that can hold a time of day, with its value."""
    return {
        field.name: getattr(row, field.name)
        for field in OutboxMessage._meta.get_fields()
        if isinstance(field, models.DateTimeField | models.TimeField)
    }


def test_outbox_sent_row_keeps_no_time(smtp: SmtpSink) -> None:
    send_mail("Dated", "Body", None, ["dated@example.org"])
    pending = OutboxMessage.objects.get()
    assert _times(pending)["next_attempt_at"] is not None  # the search can find a time

    run_worker(stop=threading.Event(), once=True)

    assert [m.subject for m in smtp.wait_for("dated@example.org")] == ["Dated"]
    row = OutboxMessage.objects.get()
    assert (row.state, _times(row), row.lease_token) == (
        OutboxState.SENT,
        {"next_attempt_at": None, "leased_until": None},
        "",
    )
    assert (row.created_on, row.sent_on) == (timezone.localdate(), timezone.localdate())


def test_outbox_message_ids_random_of_one_length_stable_across_retries(
    smtp: SmtpSink, settings: object
) -> None:
    epoch = str(int(time.time()))[:6]  # the same for the next 16 minutes
    send_mail("First", "Body", None, ["first@example.org"])
    send_mail("Second", "Body", None, ["second@example.org"])
    stored = list(OutboxMessage.objects.order_by("id").values_list("message_id", flat=True))
    # The first try finds no server; the retry, made due at once, sends the same bytes.
    settings.EMAIL_PORT = 1  # type: ignore[attr-defined]
    run_worker(stop=threading.Event(), once=True)
    assert list(OutboxMessage.objects.values_list("attempts", "state")) == [
        (1, OutboxState.PENDING),
        (1, OutboxState.PENDING),
    ]
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    settings.EMAIL_PORT = smtp.port  # type: ignore[attr-defined]
    run_worker(stop=threading.Event(), once=True)

    received = [
        str(smtp.wait_for(address)[0].message["Message-ID"])
        for address in ("first@example.org", "second@example.org")
    ]
    assert received == stored
    assert [bool(re.fullmatch(r"<[0-9a-f]{32}@testserver>", mid)) for mid in received] == [
        True,
        True,
    ]
    assert [len(mid) for mid in received] == [len("<@testserver>") + 32] * 2
    assert [epoch in mid for mid in received] == [False, False]
