"""The real `undersigned worker`, killed while it builds the PDF, delivers exactly once later."""

from __future__ import annotations

import hashlib
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support import processes
from tests.support.factories import make_letter
from tests.support.smtp import SmtpSink
from undersigned.delivery.models import Delivery, DeliveryState
from undersigned.delivery.services import delivery_request
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.mail.models import OutboxMessage
from undersigned.publiclog.models import Entry, EntryKind, PendingEntry
from undersigned.signing.models import Signature

pytestmark = pytest.mark.django_db(transaction=True)

# Enough named signers that building the PDF takes seconds: a wide window to kill the worker in.
SIGNERS = 60_000


@pytest.mark.slow
def test_worker_killed_during_delivery_delivers_once_after_restart() -> None:
    letter = make_letter()
    Signature.objects.bulk_create(
        Signature(
            letter=letter,
            tier="public",
            name=f"Signer {n}",
            department=f"Team {n % 50}",
            mailbox_hash=hashlib.sha256(b"%d" % n).hexdigest(),
            receipt_commitment=hashlib.sha256(b"r%d" % n).hexdigest(),
        )
        for n in range(SIGNERS)
    )
    delivery = delivery_request(letter=letter, user=None)
    with SmtpSink() as sink:
        env = {"EMAIL_URL": f"smtp://127.0.0.1:{sink.port}", "SEQUENCER_INTERVAL_SECONDS": "1"}
        worker = processes.start("worker", **env)
        try:
            processes.wait_until(
                lambda: Delivery.objects.filter(pk=delivery.pk).exclude(lease_token="").exists()
            )
            time.sleep(0.5)  # inside the PDF build
        finally:
            processes.stop(worker, signal.SIGKILL)
        killed = Delivery.objects.get(pk=delivery.pk)
        assert (killed.state, Letter.objects.get(pk=letter.pk).state) == (
            DeliveryState.PENDING,
            State.CLOSED,
        )
        assert OutboxMessage.objects.filter(recipients=["ceo@example.org"]).count() == 0
        # The dead worker's lease runs out (ten minutes in production).
        Delivery.objects.filter(pk=delivery.pk).update(
            leased_until=timezone.now() - timedelta(seconds=1)
        )

        restarted = processes.start("worker", **env)
        try:
            received = sink.wait_for("ceo@example.org", timeout=120)
            processes.wait_until(
                lambda: Entry.objects.filter(letter=letter, kind=EntryKind.DELIVERY).exists()
            )
            time.sleep(1.0)  # a second delivery, if there were one, would come now
        finally:
            processes.stop(restarted, signal.SIGTERM)

    done = Delivery.objects.get(pk=delivery.pk)
    assert (len(sink.to("ceo@example.org")), len(received)) == (1, 1)
    assert (done.state, Letter.objects.get(pk=letter.pk).state) == (
        DeliveryState.DELIVERED,
        State.DELIVERED,
    )
    delivery_entries = Entry.objects.filter(letter=letter, kind=EntryKind.DELIVERY).count()
    queued = PendingEntry.objects.filter(letter=letter, kind=EntryKind.DELIVERY).count()
    assert (delivery_entries, queued) == (1, 0)
