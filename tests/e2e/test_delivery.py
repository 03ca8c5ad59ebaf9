"""Delivery end to end: real worker, real SMTP server, the PDF as the recipient receives it."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page
from pypdf import PdfReader

from tests.delivery.helpers import letter_with_every_tier
from tests.e2e.helpers import log_in
from tests.support.factories import make_letter, make_organizer
from tests.support.smtp import SmtpSink
from undersigned.accounts.models import Membership, Role
from undersigned.delivery.models import Delivery
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.publiclog.models import LogState

pytestmark = pytest.mark.e2e


def test_scheduled_delivery_emails_pdf_with_names_counts_checkpoint_and_arabic(
    live_server: object, page: Page, smtp: SmtpSink, request: pytest.FixtureRequest
) -> None:
    letter = letter_with_every_tier()
    Letter.objects.filter(pk=letter.pk).update(deliver_at=timezone.now() - timedelta(seconds=1))
    request.getfixturevalue("worker")  # started only now: signing read its codes from the outbox

    received = smtp.wait_for("ceo@example.org", timeout=60)

    message = received[0].message
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"{letter.slug}.pdf"]
    pdf = attachments[0].get_content()
    lines = [
        line
        for pdf_page in PdfReader(io.BytesIO(pdf)).pages
        for line in pdf_page.extract_text().splitlines()
    ]
    named = [line for line in lines if line in {"Ada Lovelace", "Grace Hopper †", "Counted Canary"}]
    assert named == ["Ada Lovelace", "Grace Hopper †"]
    assert [line for line in lines if line.startswith(("Total:", "Public:", "Anonymous:"))] == [
        "Total: 4 verified signatures",
        "Public: 1",
        "Anonymous: 1",
    ]
    delivery = Delivery.objects.get(letter=letter)
    root = delivery.checkpoint.splitlines()[2]
    assert (lines.count(root), lines.count("ألغوا العقد")) == (1, 1)
    # Words in logical order (pypdf places the sentence's final full stop by its own rules).
    body = [line for line in lines if "نحن الموقعين أدناه نطالب" in line]
    assert len(body) == 1
    assert LogState.objects.get(letter=letter).size >= 5

    base = str(live_server)
    page.goto(f"{base}/l/{letter.slug}/")
    today = timezone.localdate()
    note = page.locator(".tally-note").inner_text()
    assert (
        note
        == f"This letter has been delivered to The CEO on {today:%b}. {today.day}, {today.year}."
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the delivered letter").click()
    # The visitor gets the public copy: the same letter, without the recipient-only name.
    public = download.value.path().read_bytes()
    public_lines = [
        line
        for pdf_page in PdfReader(io.BytesIO(public)).pages
        for line in pdf_page.extract_text().splitlines()
    ]
    hashes = (delivery.pdf_sha256, delivery.recipient_pdf_sha256)
    assert (hashlib.sha256(public).hexdigest(), hashlib.sha256(pdf).hexdigest()) == hashes
    assert [line for line in public_lines if "Ada Lovelace" in line or "Grace" in line] == [
        "Ada Lovelace"
    ]


def test_owner_delivers_now_after_confirming(
    live_server: object, page: Page, smtp: SmtpSink, worker: None
) -> None:
    base = str(live_server)
    owner = make_organizer("owner@organizers.test")
    letter = make_letter(owner=owner)

    log_in(page, base, "owner@organizers.test")
    page.goto(f"{base}/manage/letters/{letter.slug}/delivery/")
    page.get_by_role("link", name="Deliver now…").click()
    page.get_by_role("button", name="Deliver the letter").click()
    assert page.locator(".field").inner_text().splitlines()[-1] == (
        "Tick the box to confirm; delivery cannot be undone."
    )
    assert Letter.objects.get(pk=letter.pk).state == State.OPEN

    page.get_by_label("I have read the letter and want it delivered to its recipient now.").check()
    page.get_by_role("button", name="Deliver the letter").click()
    page.wait_for_url(f"{base}/manage/letters/{letter.slug}/delivery/")
    smtp.wait_for("ceo@example.org", timeout=60)
    page.reload()

    facts = page.locator("dl.facts").inner_text().splitlines()
    delivery = Delivery.objects.get(letter=letter)
    assert facts[4:8] == [
        "SHA-256 of the public copy",
        delivery.pdf_sha256,
        "SHA-256 of the recipient's copy",
        delivery.recipient_pdf_sha256,
    ]
    assert facts[facts.index("Counts from") + 1] == "checkpoint of size 1"
    assert page.get_by_role("link", name="Deliver now…").count() == 0


def test_editor_sees_delivery_status_but_cannot_deliver(live_server: object, page: Page) -> None:
    base = str(live_server)
    editor = make_organizer("editor@organizers.test")
    letter = make_letter()
    Membership.objects.create(user=editor, letter=letter, role=Role.EDITOR)

    log_in(page, base, "editor@organizers.test")
    page.goto(f"{base}/manage/letters/{letter.slug}/delivery/")
    assert page.get_by_role("link", name="Deliver now…").count() == 0
    response = page.goto(f"{base}/manage/letters/{letter.slug}/delivery/now/")
    assert response is not None
    assert response.status == 404
