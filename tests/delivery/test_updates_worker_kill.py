"""The real `undersigned worker`, killed while it writes an update's messages, finishes the list
after a restart with every subscriber written to exactly once."""

from __future__ import annotations

import signal
import socket
from collections import Counter as Tally
from collections.abc import Iterator

import pytest

from tests.delivery.updates_helpers import letter_in, texts
from tests.support import processes
from tests.support.factories import make_organizer
from undersigned.delivery.models import Update
from undersigned.delivery.services import update_send
from undersigned.mail.models import OutboxMessage
from undersigned.signing.mailbox import encrypt_address
from undersigned.signing.models import Signature

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIBERS = 400
# Twenty small batches: a wide window to kill the worker between two of them, or inside one.
BATCH = "20"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but never listened on: connections to it are refused, and while the test runs
    no other process (an SMTP sink in another pytest worker) can be given it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield int(s.getsockname()[1])


def test_worker_killed_mid_fan_out_writes_each_subscriber_once_after_restart(
    closed_port: int,
) -> None:
    letter = letter_in("en")
    Signature.objects.bulk_create(
        Signature(letter=letter, tier="counted", mailbox_hash=f"m{n}", receipt_commitment=f"r{n}",
                  updates_language="en", updates_address=encrypt_address(f"s{n}@example.org"))
        for n in range(SUBSCRIBERS)
    )  # fmt: skip
    update = update_send(letter=letter, user=make_organizer(), texts=texts(en=("News", "Text")))
    # Nothing listens there: messages stay in the outbox, where each one can be counted.
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{closed_port}", "UPDATES_FANOUT_BATCH": BATCH}

    worker = processes.start("worker", **env)
    try:
        # Polled often, to kill the worker while the list is still being written.
        processes.wait_until(
            lambda: Update.objects.filter(pk=update.pk, recipients__gt=0).exists(), poll=0.01
        )
    finally:
        processes.stop(worker, signal.SIGKILL)
    killed = Update.objects.get(pk=update.pk)
    assert (killed.done, 0 < killed.recipients < SUBSCRIBERS) == (False, True)
    assert OutboxMessage.objects.count() == killed.recipients

    restarted = processes.start("worker", **env)
    try:
        processes.wait_until(
            lambda: Update.objects.filter(pk=update.pk, done=True).exists(), poll=0.01
        )
    finally:
        processes.stop(restarted, signal.SIGTERM)

    per_address = Tally(
        r for rs in OutboxMessage.objects.values_list("recipients", flat=True) for r in rs
    )
    assert (len(per_address), set(per_address.values())) == (SUBSCRIBERS, {1})
    assert Update.objects.get(pk=update.pk).recipients == SUBSCRIBERS
