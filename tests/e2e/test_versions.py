"""An organizer amends a signed letter in a browser; a subscriber signs the new version."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.delivery.updates_helpers import fan_out
from tests.e2e.helpers import log_in
from tests.signing.helpers import last_message, sign, text_of
from tests.support.factories import make_letter, make_organizer
from undersigned.campaign import letters as services
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing.models import Signature

pytestmark = pytest.mark.e2e

NOTE = "Demand 2 now names the 2024 contract."


def test_amendment_in_the_browser_and_a_subscriber_signs_the_new_version(
    live_server: object, page: Page
) -> None:
    base = str(live_server)
    owner = make_organizer("owner@organizers.test")
    letter = make_letter(state=State.DRAFT, owner=owner)
    letter = services.letter_transition(letter=letter, target=State.OPEN, user=owner)
    sign(letter, "ana@example.org", updates=True, name="Ana Lima")  # type: ignore[arg-type]
    log_sequence_all()

    log_in(page, base, "owner@organizers.test")
    page.goto(f"{base}/manage/letters/{letter.slug}/")
    assert (
        page.locator(".notice")
        .first.inner_text()
        .startswith(
            "People have signed this letter. A change to its text or demands is now an amendment"
        )
    )
    page.get_by_role("link", name="Edit English").click()
    page.get_by_label("Text").fill("We ask leadership to cancel the 2024 contract.")
    page.get_by_role("button", name="Save").click()
    assert (
        page.locator(".errorlist")
        .first.inner_text()
        .startswith("People have signed this letter, so a change to its text is an amendment")
    )
    assert Letter.objects.get(pk=letter.pk).version == 1

    page.get_by_label("What changes, and why").fill(NOTE)
    page.get_by_role("button", name="Save").click()
    assert page.locator(".messages").inner_text() == "The text in English is saved."
    rows = page.locator("section[aria-labelledby=versions-heading] tbody tr").all_inner_texts()
    assert [row.split("\t")[0] for row in rows] == ["2 (current)", "1"]

    fan_out()  # what the worker does next: the request to confirm is written to the outbox
    # The subscriber's message links to a page that changes nothing until its button is pressed.
    link = re.search(r"https?://\S+/sign/reconfirm/\S+/", text_of(last_message("ana@example.org")))
    assert link is not None
    path = link.group(0).split("/l/", 1)[1]
    page.goto(f"{base}/l/{path}")
    assert page.locator(".amendment-note").inner_text() == NOTE
    assert Signature.objects.get(withdrawn_on__isnull=True).version == 1
    page.get_by_role("button", name="Sign version 2").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("You signed")
    assert page.locator(".signing-receipt").input_value() != ""
    log_sequence_all()

    page.goto(f"{base}/l/{letter.slug}/")
    cells = [row.split("\t") for row in page.locator(".versions tbody tr").all_inner_texts()]
    assert [(c[0], c[2], c[3]) for c in cells] == [("2 (this text)", NOTE, "1"), ("1", "—", "0")]
    assert page.locator(".tally-number").inner_text() == "1"
    # A signer of version 1 can still read what they signed.
    page.locator(".versions tbody tr").nth(1).get_by_role("link", name="1").click()
    assert page.locator(".letter-body").inner_text() == (
        "We, the undersigned, ask leadership to act."
    )
    assert page.locator(".notice").inner_text().startswith("Version 1 of this letter")
