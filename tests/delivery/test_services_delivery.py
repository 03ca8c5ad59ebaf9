"""Delivery: closes the letter, builds the PDF at a checkpoint, queues mail and log entry once."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from tests.delivery.helpers import letter_with_every_tier
from tests.signing.helpers import sign
from tests.support.factories import make_letter, make_organizer
from undersigned.campaign.letters import letter_text_set, letter_transition
from undersigned.crypto import logentries
from undersigned.delivery import pdf as pdf_module
from undersigned.delivery.models import Delivery, DeliveryState
from undersigned.delivery.services import (
    delivery_claim,
    delivery_job,
    delivery_perform,
    delivery_request,
)
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.mail.models import OutboxMessage
from undersigned.publiclog.models import EntryKind, LogState, PendingEntry

pytestmark = pytest.mark.django_db


def _recipient_message(letter: Letter) -> EmailMessage:
    row = Delivery.objects.get(letter=letter).message
    assert row is not None
    return message_from_bytes(bytes(row.message), policy=policy.default)  # type: ignore[return-value]


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _recipient_pdf(letter: Letter) -> bytes:
    attachments = list(_recipient_message(letter).iter_attachments())
    assert len(attachments) == 1
    content: bytes = attachments[0].get_content()
    return content


def _public_pdf(letter: Letter) -> bytes:
    response = Client().get(f"/l/{letter.slug}/delivered.pdf")
    assert response.status_code == 200
    return response.content


def test_delivery_request_then_job_delivers_once() -> None:
    letter = letter_with_every_tier()
    delivery_request(letter=letter, user=make_organizer())
    assert Letter.objects.get(pk=letter.pk).state == State.CLOSED

    assert (delivery_job(), delivery_job()) == (1, 0)

    letter.refresh_from_db()
    delivery = Delivery.objects.get(letter=letter)
    pdf = bytes(delivery.pdf)
    assert (letter.state, delivery.state) == (State.DELIVERED, DeliveryState.DELIVERED)
    assert delivery.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    entries = PendingEntry.objects.filter(letter=letter, kind=EntryKind.DELIVERY)
    bodies = [logentries.parse_entry(bytes(e.data or b"")).body for e in entries]
    # Each copy can be checked against the log: the one served publicly, the one emailed.
    assert bodies == [
        {
            "type": "delivery",
            "date": timezone.localdate().isoformat(),
            "pdf_hash": hashlib.sha256(_public_pdf(letter)).hexdigest(),
            "recipient": "The CEO",
            "recipient_pdf_hash": hashlib.sha256(_recipient_pdf(letter)).hexdigest(),
        }
    ]
    assert (delivery.pdf_sha256, delivery.recipient_pdf_sha256) == (
        bodies[0]["pdf_hash"],  # type: ignore[index]
        bodies[0]["recipient_pdf_hash"],  # type: ignore[index]
    )
    with pytest.raises(ValidationError, match="already been delivered"):
        delivery_request(letter=letter, user=None)


def test_delivery_email_attaches_the_pdf_and_links_the_page() -> None:
    letter = letter_with_every_tier()
    delivery_request(letter=letter, user=None)
    delivery_job()

    message = _recipient_message(letter)
    attachments = list(message.iter_attachments())
    assert message["To"] == "ceo@example.org"
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        (f"{letter.slug}.pdf", "application/pdf")
    ]
    delivery = Delivery.objects.get(letter=letter)
    attached = hashlib.sha256(attachments[0].get_content()).hexdigest()
    assert (attached, attached == delivery.pdf_sha256) == (delivery.recipient_pdf_sha256, False)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert [line for line in body.get_content().splitlines() if line][-2:] == [
        "The letter's public page:",
        f"http://testserver/l/{letter.slug}/",
    ]


def test_delivery_recipient_copy_names_recipient_tier_and_public_copy_does_not() -> None:
    letter = letter_with_every_tier()
    delivery_request(letter=letter, user=None)
    delivery_job()

    names = ("Ada Lovelace", "Grace Hopper †", "Counted Canary")
    private = _pdf_text(_recipient_pdf(letter))
    public = _pdf_text(_public_pdf(letter))
    assert [n for n in names if n in private.splitlines()] == ["Ada Lovelace", "Grace Hopper †"]
    assert [n for n in names if n in public.splitlines()] == ["Ada Lovelace"]
    assert ("Grace Hopper" in private, "Grace Hopper" in public) == (True, False)
    lines = public.splitlines()
    assert [
        line for line in lines if line.startswith(("Total:", "Counted only:", "Anonymous:"))
    ] == [
        "Total: 4 verified signatures",
        "Counted only: 1",
        "Anonymous: 1",
    ]


def test_delivery_counts_come_from_a_checkpoint_covering_every_signature() -> None:
    letter = letter_with_every_tier()
    delivery_request(letter=letter, user=None)
    delivery_job()

    delivery = Delivery.objects.get(letter=letter)
    log = LogState.objects.get(letter=letter)
    root_line = delivery.checkpoint.splitlines()[2]
    # genesis + 4 signatures; the delivery entry itself waits for the next checkpoint
    assert (delivery.checkpoint_size, log.size, log.counts) == (
        5,
        5,
        {"public": 1, "recipient": 1, "counted": 1, "anonymous": 1},
    )
    assert _pdf_text(bytes(delivery.pdf)).splitlines().count(root_line) == 1


def test_delivery_scheduled_when_deliver_at_has_come() -> None:
    past = make_letter(deliver_at=timezone.now() - timedelta(minutes=1))
    future = make_letter(deliver_at=timezone.now() + timedelta(hours=1))

    assert delivery_job() == 2  # one row scheduled, one letter delivered

    states = dict(Letter.objects.filter(pk__in=[past.pk, future.pk]).values_list("pk", "state"))
    assert states == {past.pk: State.DELIVERED, future.pk: State.OPEN}


def test_delivery_draft_and_archived_letters_are_never_delivered() -> None:
    due = timezone.now() - timedelta(minutes=1)
    draft = make_letter(state=State.DRAFT, deliver_at=due)
    archived = make_letter(state=State.ARCHIVED, deliver_at=due)

    assert delivery_job() == 0
    with pytest.raises(ValidationError, match="cannot be delivered"):
        delivery_request(letter=draft, user=None)
    assert Delivery.objects.filter(letter__in=[draft, archived]).count() == 0


def test_delivery_failure_is_recorded_and_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    letter = make_letter()
    delivery_request(letter=letter, user=None)
    monkeypatch.setattr(pdf_module, "FONT_DIR", tmp_path)  # the fonts are missing

    assert delivery_job() == 0
    row = Delivery.objects.get(letter=letter)
    assert (row.state, row.attempts, row.leased_until) == (DeliveryState.PENDING, 1, None)
    assert row.last_error.startswith("FileNotFoundError")
    assert delivery_job() == 0  # backoff: not due again yet

    monkeypatch.undo()
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert delivery_job() == 1
    row.refresh_from_db()
    assert (row.state, row.last_error) == (DeliveryState.DELIVERED, "")


def test_delivery_claim_is_exclusive_until_the_lease_runs_out() -> None:
    delivery = delivery_request(letter=make_letter(), user=None)

    first = delivery_claim()
    assert (first is not None, delivery_claim()) == (True, None)
    Delivery.objects.filter(pk=delivery.pk).update(leased_until=timezone.now())
    second = delivery_claim()
    assert first is not None
    assert second is not None

    assert delivery_perform(claim=first) is False  # its lease was taken over
    assert delivery_perform(claim=second) is True
    assert OutboxMessage.objects.count() == 1


def test_deliver_command_delivers_and_refuses_twice() -> None:
    letter = letter_with_every_tier()
    out = io.StringIO()

    call_command("deliver", letter.slug, stdout=out)

    sha = Delivery.objects.get(letter=letter).pdf_sha256
    assert out.getvalue().splitlines() == [
        f"Delivered {letter.slug} to The CEO.",
        f"Public PDF SHA-256: {sha}",
        f"Recipient's PDF SHA-256: {Delivery.objects.get(letter=letter).recipient_pdf_sha256}",
    ]
    with pytest.raises(CommandError, match="already been delivered"):
        call_command("deliver", letter.slug)
    with pytest.raises(CommandError, match="There is no letter 'nope'"):
        call_command("deliver", "nope")


def test_delivery_pdf_of_an_amended_letter_gives_the_checkpoint_counts_per_version() -> None:
    owner = make_organizer()
    letter = make_letter(state=State.DRAFT, owner=owner)
    letter = letter_transition(letter=letter, target=State.OPEN, user=owner)
    sign(letter, "ana@example.org")
    sign(letter, "ben@example.org")
    letter_text_set(
        letter=letter, language="en", title="Cancel the contract", body="Amended text.",
        note="Clearer wording.",
    )  # fmt: skip
    letter.refresh_from_db()
    sign(letter, "cy@example.org")
    delivery_request(letter=letter, user=owner)
    assert delivery_job() == 1
    lines = _pdf_text(bytes(Delivery.objects.get(letter=letter).pdf)).splitlines()
    start = lines.index("By version of the text")
    versions = [line for line in lines[start:] if line.startswith(("Version ", "Clearer"))]
    today = timezone.localdate().isoformat()
    assert versions == [f"Version 2 ({today}): 1", "Clearer wording.", f"Version 1 ({today}): 2"]
