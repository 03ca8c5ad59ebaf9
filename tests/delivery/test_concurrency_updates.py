"""Two organizers press "send" at once: one update and one set of messages, on PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.delivery.updates_helpers import fan_out, letter_in, subscribe, texts
from tests.support.factories import make_organizer
from undersigned.delivery.models import Update
from undersigned.delivery.services import update_fanout, update_send
from undersigned.mail.models import OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_sends_make_one_update_and_one_set_of_messages() -> None:
    letter = letter_in("en")
    for i in range(20):
        subscribe(letter, f"signer{i}@example.org")
    users = [make_organizer(), make_organizer()]
    barrier = threading.Barrier(2)

    def send(i: int) -> str:
        try:
            barrier.wait()
            update_send(letter=letter, user=users[i], texts=texts(en=(f"News {i}", "Text")))
        except ValidationError as exc:
            return exc.messages[0].split(":")[0]
        finally:
            connection.close()
        return "sent"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = Tally(pool.map(send, range(2)))

    assert outcomes == Tally({"sent": 1, "One update every 3 days": 1})
    fan_out()
    assert (Update.objects.count(), OutboxMessage.objects.count()) == (1, 20)
    assert Update.objects.get().recipients == 20


def test_workers_fanning_out_one_update_at_once_queue_each_subscriber_once() -> None:
    letter = letter_in("en")
    for i in range(30):
        subscribe(letter, f"signer{i}@example.org")
    update = update_send(letter=letter, user=make_organizer(), texts=texts(en=("News", "Text")))
    workers = 4
    barrier = threading.Barrier(workers)

    def work(_: int) -> int:
        # Until the update is written, as the worker's rounds go on: a call that finds the row
        # locked by another worker queues nothing, and a fixed number of calls could all land
        # while a worker slowed by a busy machine holds the lock. Bounded in time.
        queued = 0
        try:
            barrier.wait()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not Update.objects.get(pk=update.pk).done:
                queued += update_fanout(update_id=update.pk, batch=4)
            return queued
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        queued = sum(pool.map(work, range(workers)))
    recipients = [row[0] for row in OutboxMessage.objects.values_list("recipients", flat=True)]
    update.refresh_from_db()
    assert (queued, update.recipients, update.done) == (30, 30, True)
    assert sorted(recipients) == sorted(f"signer{i}@example.org" for i in range(30))
