"""An organizer writes an update in the browser; a signer gets it and unsubscribes in a click."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page

from tests.delivery.updates_helpers import letter_in, subscribe
from tests.e2e.helpers import log_in
from tests.support.factories import make_organizer
from tests.support.smtp import Received, SmtpSink
from undersigned.signing.models import Signature

pytestmark = pytest.mark.e2e


def _update_to(smtp: SmtpSink, address: str, subject: str) -> Received:
    """The update among the messages to `address` (its verification message may be there too)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = [m for m in smtp.to(address) if m.subject == subject]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no update {subject!r} reached {address}")


def test_organizer_sends_update_and_signer_unsubscribes(
    live_server: object, page: Page, worker: None, smtp: SmtpSink
) -> None:
    base = str(live_server)
    owner = make_organizer("owner@organizers.test")
    letter = letter_in("en", "de", owner=owner)
    subscribe(letter, "ana@example.org")
    subscribe(letter, "ben@example.org", "de")

    log_in(page, base, "owner@organizers.test")
    page.goto(f"{base}/manage/letters/{letter.slug}/updates/")
    assert page.locator("#subscribers").inner_text() == (
        "2 signers asked for updates and will get the next one."
    )
    page.get_by_label("Subject (English)").fill("The letter is delivered")
    page.get_by_label("Text (English)").fill("The CEO has it.\n\n<b>Thank you</b> for signing.")
    page.get_by_label("Subject (Deutsch, optional)").fill("Der Brief ist zugestellt")
    page.get_by_role("button", name="Send the update").click()
    assert page.locator(".errorlist").inner_text() == (
        "Write the text in this language too, or leave both empty."
    )
    page.get_by_label("Text (Deutsch, optional)").fill("Der CEO hat ihn.")
    page.get_by_role("button", name="Send the update").click()
    assert page.locator(".messages").inner_text() == (
        "The update is saved; the worker is sending it to every subscriber."
    )
    assert page.get_by_role("button", name="Send the update").count() == 0

    to_ana = _update_to(smtp, "ana@example.org", "The letter is delivered")
    to_ben = _update_to(smtp, "ben@example.org", "Der Brief ist zugestellt")
    assert "&lt;b&gt;Thank you&lt;/b&gt; for signing." in to_ana.html()
    assert to_ben.text().splitlines()[0] == "Hallo,"

    page.goto(to_ana.link("/unsubscribe/").replace("http://testserver", base))
    assert Signature.objects.filter(updates_address__isnull=False).count() == 2
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("status").inner_text() == (
        "You will get no more updates about \u201cCancel the contract\u201d."
    )
    assert Signature.objects.filter(updates_address__isnull=False).count() == 1
