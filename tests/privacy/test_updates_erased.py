"""A subscriber's mailbox: in the outbox only until sent, encrypted until the letter is archived."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.delivery.updates_helpers import fan_out, letter_in, subscribe, texts
from tests.support.dbsearch import places, search_database
from tests.support.factories import make_organizer
from tests.support.smtp import SmtpSink
from undersigned.campaign.letters import letter_transition
from undersigned.campaign.worker import run_worker
from undersigned.delivery.services import update_send
from undersigned.letters.states import State
from undersigned.signing.mailbox import decrypt_address
from undersigned.signing.models import Signature

pytestmark = pytest.mark.django_db(transaction=True)


def test_subscriber_mailbox_gone_after_sending_and_archiving(smtp: SmtpSink) -> None:
    canary = f"canary-{uuid.uuid4().hex}@example.org"
    letter = letter_in("en")
    owner = make_organizer()
    signature = subscribe(letter, canary)
    update_send(letter=letter, user=owner, texts=texts(en=("News", "Text")))
    fan_out()  # the worker's first step: the message is written to the outbox
    # The search can find it while the message waits: a plaintext copy is there to be sent.
    waiting = places(search_database(canary))

    run_worker(stop=threading.Event(), once=True)
    smtp.wait_for(canary)
    after_send = search_database(canary)
    sealed = Signature.objects.get(pk=signature.pk).updates_address
    letter_transition(letter=letter, target=State.CLOSED, user=owner)
    letter_transition(letter=letter, target=State.ARCHIVED, user=owner)

    assert waiting == {("mail_outboxmessage", "recipients"), ("mail_outboxmessage", "message")}
    assert after_send == []
    # Until the archive it was kept, encrypted, so the next update could reach it.
    assert decrypt_address(bytes(sealed)) == canary  # type: ignore[arg-type]  # a subscriber's is set
    assert list(Signature.objects.values_list("updates_address", "updates_language")) == [
        (None, "")
    ]
    assert search_database(canary) == []
