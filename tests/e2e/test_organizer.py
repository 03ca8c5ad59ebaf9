"""An organizer in a real browser: log in, write a letter, open it; and what others cannot see."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.helpers import log_in
from tests.support.factories import PASSWORD, make_letter, make_organizer
from tests.support.pdf import minimal_pdf
from tests.support.smtp import SmtpSink
from undersigned.accounts.models import Membership, Role
from undersigned.letters.models import Addendum, DemandText, Letter, LetterText
from undersigned.letters.states import State

pytestmark = pytest.mark.e2e


def test_organizer_writes_letter_with_demand_pdf_and_arabic_then_opens_it(
    live_server: object, page: Page, tmp_path: Path
) -> None:
    base = str(live_server)
    make_organizer("ana@organizers.test")
    pdf = tmp_path / "budget.pdf"
    pdf.write_bytes(minimal_pdf("Budget 2031"))

    log_in(page, base, "ana@organizers.test")
    page.get_by_role("link", name="Start a new letter").click()
    page.get_by_label("Address").fill("pause-the-cluster")
    page.get_by_label("Title", exact=True).fill("Pause the cluster")
    page.get_by_label("Text", exact=True).fill("We ask **leadership** to pause it.")
    page.get_by_label("Recipient's name").fill("The CEO")
    page.get_by_label("Recipient's email").fill("ceo@example.org")
    page.get_by_label("Domains that may sign").fill("example.org")
    page.get_by_role("button", name="Create the draft").click()
    page.wait_for_url(f"{base}/manage/letters/pause-the-cluster/")

    page.get_by_role("link", name="Add a demand").click()
    page.get_by_label("Demand in English").fill("Pause the cluster by June")
    page.get_by_role("button", name="Save the demand").click()

    page.get_by_role("link", name="Add a document").click()
    page.get_by_label("Title", exact=True).fill("Budget")
    page.get_by_label("PDF document").check()
    page.get_by_label("PDF file").set_input_files(str(pdf))
    page.get_by_role("button", name="Add the document").click()
    assert page.locator(".messages").inner_text() == "The addendum is added."

    page.get_by_label("Add a translation").select_option("ar")
    page.get_by_role("button", name="Translate").click()
    title = page.get_by_label("Title", exact=True)
    assert (title.get_attribute("lang"), title.get_attribute("dir")) == ("ar", "rtl")
    title.fill("أوقفوا المجموعة")
    page.get_by_label("Text", exact=True).fill("نطلب من القيادة إيقافها.")
    page.get_by_label("Demand 1").fill("أوقفوها قبل يونيو")
    page.get_by_role("button", name="Save this text").click()

    page.get_by_role("button", name="Open for signatures").click()
    assert page.locator(".messages").inner_text() == "The letter is now open for signatures."

    letter = Letter.objects.get(slug="pause-the-cluster")
    assert letter.state == State.OPEN
    assert sorted(LetterText.objects.filter(letter=letter).values_list("language", "title")) == [
        ("ar", "أوقفوا المجموعة"),
        ("en", "Pause the cluster"),
    ]
    assert sorted(DemandText.objects.values_list("language", "text")) == [
        ("ar", "أوقفوها قبل يونيو"),
        ("en", "Pause the cluster by June"),
    ]
    assert bytes(Addendum.objects.get(letter=letter).content) == pdf.read_bytes()


def test_organizer_cannot_reach_another_organizers_letter(live_server: object, page: Page) -> None:
    base = str(live_server)
    make_organizer("ana@organizers.test")
    make_letter("bens-letter", state=State.DRAFT, owner=make_organizer(), title="Ben's secret")

    log_in(page, base, "ana@organizers.test")
    response = page.goto(f"{base}/manage/letters/bens-letter/")
    theirs = page.locator("main").inner_text()
    page.goto(f"{base}/manage/letters/no-such-letter/")
    missing = page.locator("main").inner_text()

    assert response is not None
    assert response.status == 404
    assert page.locator("h1").inner_text() == "There is nothing here."
    assert theirs == missing


def test_invited_coorganizer_accepts_by_email_link(
    live_server: object, page: Page, browser: Browser, smtp: SmtpSink, worker: None
) -> None:
    base = str(live_server)
    owner = make_organizer("ana@organizers.test", display_name="Ana")
    letter = make_letter("shared-letter", state=State.DRAFT, owner=owner, title="Shared")

    log_in(page, base, "ana@organizers.test")
    page.goto(f"{base}/manage/letters/shared-letter/")
    page.get_by_role("link", name="Invite a co-organizer").click()
    page.get_by_label("Email").fill("ben@example.org")
    page.get_by_label("Role").select_option("editor")
    page.get_by_role("button", name="Send the invitation").click()
    assert page.locator(".messages").inner_text() == "The invitation is on its way."

    (message,) = smtp.wait_for("ben@example.org")
    link = message.link("/accounts/invitations/").replace("http://testserver", base)
    context = browser.new_context(locale="en-US")
    try:
        ben = context.new_page()
        ben.goto(link)
        ben.get_by_label("Your name").fill("Ben")
        ben.get_by_label("Choose a password").fill(PASSWORD)
        ben.get_by_label("The same password again").fill(PASSWORD)
        ben.get_by_role("button", name="Create my account").click()
        ben.wait_for_url(f"{base}/manage/letters/shared-letter/")
        heading = ben.locator("h1").inner_text()
        ben.goto(link)
        used_again = ben.locator("h1").inner_text()
    finally:
        context.close()

    assert heading == "Shared"
    assert used_again == "This invitation link is not valid"
    assert Membership.objects.get(letter=letter, user__email="ben@example.org").role == Role.EDITOR
