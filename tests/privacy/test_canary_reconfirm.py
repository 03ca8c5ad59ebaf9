"""A public signer who asked for updates re-confirms an amended letter: afterwards their name is
kept once (the new signature), their mailbox nowhere once the request was sent."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
from django.test import Client

from tests.support.dbsearch import places, search_database
from tests.support.factories import make_letter, make_organizer
from tests.support.smtp import SmtpSink
from undersigned.campaign import letters as services
from undersigned.campaign.worker import run_worker
from undersigned.delivery.services import updates_fanout_job
from undersigned.letters.states import State
from undersigned.signing.models import Signature

pytestmark = pytest.mark.django_db(transaction=True)


def _work() -> None:
    for _ in range(3):  # fan-out, then sending, then the sequencer's round
        run_worker(stop=threading.Event(), once=True)


def test_canary_reconfirm_name_kept_once_mailbox_gone(smtp: SmtpSink) -> None:
    tag = uuid.uuid4().hex
    mailbox, name = f"canary-{tag}@example.org", f"Canary Reconfirm {tag[:16]}"
    owner = make_organizer()
    letter = make_letter(state=State.DRAFT, owner=owner)
    letter = services.letter_transition(letter=letter, target=State.OPEN, user=owner)
    client = Client()
    form = {"email": mailbox, "tier": "public", "name": name, "updates": "on", "language": "en"}
    assert client.post(f"/l/{letter.slug}/sign/", form).status_code == 200
    _work()
    confirm = smtp.wait_for(mailbox)[-1].link("/c/").split("testserver", 1)[1]
    assert client.post(confirm, {"language": "en"}).status_code == 200

    services.letter_text_set(
        letter=letter, language="en", title="Cancel the contract", body="Amended.",
        note="Clearer.",
    )  # fmt: skip
    updates_fanout_job()
    # Proof the search sees the mailbox: the request waiting to be sent holds it in plaintext.
    waiting = places(search_database(mailbox))
    _work()
    request = smtp.wait_for(mailbox, count=2)[-1]
    path = re.sub(r"^https?://[^/]+", "", request.link("/sign/reconfirm/"))
    assert client.post(path, {"language": "en"}).status_code == 200
    _work()

    # Proof the search sees names: the new signature holds it, the old row no longer does.
    assert places(search_database(name)) == {("signing_signature", "name")}
    rows = Signature.objects.order_by("pk").values_list("name", "withdrawn_on")
    assert [(row_name, withdrawn is None) for row_name, withdrawn in rows] == [
        ("", False),
        (name, True),
    ]
    assert waiting == {("mail_outboxmessage", "recipients"), ("mail_outboxmessage", "message")}
    assert search_database(mailbox) == []
    assert search_database(mailbox.split("@")[0]) == []
