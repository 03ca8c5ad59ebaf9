"""Organizers record the recipient's answers in a browser; the public page shows the timeline."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from tests.e2e.helpers import log_in
from tests.support.factories import make_letter, make_organizer
from undersigned.delivery.models import ResponseEntry
from undersigned.letters.states import State

pytestmark = pytest.mark.e2e


def test_editor_records_answers_and_public_page_shows_timeline(
    live_server: object, page: Page
) -> None:
    base = str(live_server)
    owner = make_organizer("owner@organizers.test")
    letter = make_letter(state=State.DELIVERED, owner=owner)
    today = timezone.localdate()

    log_in(page, base, "owner@organizers.test")
    page.goto(f"{base}/manage/letters/{letter.slug}/responses/")
    page.get_by_label("Demand").select_option(label="2. Publish what we sell")
    page.get_by_label("Answer", exact=True).select_option(label="Refused")
    page.get_by_label("Note").fill("The CEO said no at the all-hands.")
    page.get_by_label("Link (optional)").fill("javascript:alert(1)")
    page.get_by_role("button", name="Record the answer").click()
    assert page.locator(".errorlist").inner_text() == (
        "The link must be a full web address starting with https:// or http://."
    )
    assert ResponseEntry.objects.count() == 0

    page.get_by_label("Link (optional)").fill("https://news.example/no")
    page.get_by_role("button", name="Record the answer").click()
    assert page.locator(".messages").inner_text() == "The answer is recorded."
    page.get_by_label("Demand").select_option(label="2. Publish what we sell")
    page.get_by_label("Answer", exact=True).select_option(label="Partly met")
    page.get_by_role("button", name="Record the answer").click()

    page.goto(f"{base}/l/{letter.slug}/")
    statuses = page.locator(".demand-status").all_inner_texts()
    assert statuses == ["Answer: Pending", "Answer: Partly met"]
    steps = page.locator(".timeline li").all_inner_texts()
    day = f"{today:%b}. {today.day}, {today.year}"
    assert [step.splitlines() for step in steps] == [
        [f"{day} · Refused", "The CEO said no at the all-hands.", "https://news.example/no"],
        [f"{day} · Partly met"],
    ]
    page.get_by_role("link", name="https://news.example/no").focus()
    assert page.evaluate("document.activeElement.getAttribute('rel')") == (
        "nofollow noopener noreferrer"
    )


def test_viewer_reads_answers_without_a_form(live_server: object, page: Page) -> None:
    from undersigned.accounts.models import Membership, Role

    base = str(live_server)
    viewer = make_organizer("viewer@organizers.test")
    letter = make_letter(state=State.DELIVERED)
    Membership.objects.create(user=viewer, letter=letter, role=Role.VIEWER)

    log_in(page, base, "viewer@organizers.test")
    page.goto(f"{base}/manage/letters/{letter.slug}/responses/")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings == ["1. Cancel all active offers", "2. Publish what we sell"]
    assert page.get_by_role("button", name="Record the answer").count() == 0
