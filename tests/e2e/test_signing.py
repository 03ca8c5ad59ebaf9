"""Signers in a real browser: email code in each tier, invite code, withdrawal, scanners."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.factories import make_letter
from tests.support.smtp import SmtpSink
from undersigned.letters.models import Letter
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing import services
from undersigned.signing.models import Signature

pytestmark = pytest.mark.e2e


@pytest.fixture
def letter(transactional_db: None) -> Letter:
    return make_letter(domains=["example.org"])


def _count_on_letter_page(page: Page, live_server: object, letter: Letter) -> str:
    """The published count, after the sequencer has put every confirmed signature in the log."""
    log_sequence_all()
    page.goto(f"{live_server}/l/{letter.slug}/")
    # The browser may keep the page for its max-age (docs/design.md section 8c); a reload asks
    # the server, as a reader who wants the latest count does.
    page.reload()
    return page.locator(".tally-number").inner_text()


def _start(page: Page, live_server: object, letter: Letter, email: str, tier: str) -> None:
    page.goto(f"{live_server}/l/{letter.slug}/sign/")
    expect(page.get_by_role("heading", name="Before you use your work email")).to_be_visible()
    page.get_by_role("textbox", name="Your work email").fill(email)
    page.locator(f"input[name=tier][value={tier}]").check()
    if tier != "counted":
        page.get_by_role("textbox", name="Your name").fill("Ana Lima")
    page.get_by_role("textbox", name="Department (optional)").fill("Cloud")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name=re.compile("Check your email"))).to_be_visible()


@pytest.mark.parametrize("tier", ["public", "recipient", "counted"])
def test_sign_with_email_code_then_withdraw(
    live_server: object, page: Page, worker: None, smtp: SmtpSink, letter: Letter, tier: str
) -> None:
    assert _count_on_letter_page(page, live_server, letter) == "0"
    _start(page, live_server, letter, f"ana.{tier}@example.org", tier)

    code = smtp.wait_for(f"ana.{tier}@example.org")[0].code()
    page.get_by_role("textbox", name="Code from the message").fill(code)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Save this receipt now")).to_be_visible()
    receipt = page.get_by_role("textbox", name="Your receipt").input_value()

    assert _count_on_letter_page(page, live_server, letter) == "1"
    assert Signature.objects.get().tier == tier

    page.goto(f"{live_server}/l/{letter.slug}/sign/withdraw/")
    page.get_by_role("textbox", name="Your receipt").fill(receipt)
    page.get_by_role("button", name="Withdraw my signature").click()
    expect(page.get_by_text("Your signature was withdrawn")).to_be_visible()
    assert _count_on_letter_page(page, live_server, letter) == "0"


def test_sign_with_invite_code(live_server: object, page: Page, letter: Letter) -> None:
    code = services.invite_batch_create(letter=letter, size=1)[0]

    page.goto(f"{live_server}/l/{letter.slug}/sign/")
    page.get_by_role("link", name="sign with an invite code instead").click()
    page.get_by_role("textbox", name="Invite code").fill(code.lower().replace("-", " "))
    page.locator("input[name=tier][value=public]").check()
    page.get_by_role("textbox", name="Your name").fill("Invited Person")
    page.get_by_role("button", name="Sign", exact=True).click()

    expect(page.get_by_role("heading", name="Save this receipt now")).to_be_visible()
    page.goto(f"{live_server}/l/{letter.slug}/signatories/")
    expect(page.get_by_role("cell", name="Invited Person")).to_be_visible()


def test_scanner_opening_link_confirms_nothing(
    live_server: object, page: Page, worker: None, smtp: SmtpSink, letter: Letter
) -> None:
    _start(page, live_server, letter, "ana@example.org", "public")
    link = smtp.wait_for("ana@example.org")[0].link("/c/")
    link = link.replace("http://testserver", str(live_server))

    # What a mail scanner does: fetch the link, and even render it in a browser.
    with urllib.request.urlopen(link, timeout=10) as response:  # noqa: S310 -- the test server
        assert response.status == 200
    page.goto(link)
    assert Signature.objects.count() == 0
    assert _count_on_letter_page(page, live_server, letter) == "0"

    page.goto(link)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Save this receipt now")).to_be_visible()
    assert Signature.objects.count() == 1


def test_confirm_again_after_a_lost_response_shows_the_same_receipt(
    live_server: object, page: Page, worker: None, smtp: SmtpSink, letter: Letter
) -> None:
    _start(page, live_server, letter, "ana@example.org", "public")
    code = smtp.wait_for("ana@example.org")[0].code()
    lost: list[str] = []

    def lose_the_answer(route: Route) -> None:
        # The server gets the request and commits the signature; its answer never arrives.
        answer = route.fetch()
        lost.append(answer.text())
        route.abort("connectionreset")

    page.route("**/sign/code/", lose_the_answer)
    page.get_by_role("textbox", name="Code from the message").fill(code)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_text("ERR_CONNECTION_RESET")).to_be_visible()
    page.unroute("**/sign/code/")
    assert Signature.objects.count() == 1

    # The signer goes back to the code page and sends the same code again.
    _start(page, live_server, letter, "ana@example.org", "public")
    page.get_by_role("textbox", name="Code from the message").fill(code)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Save this receipt now")).to_be_visible()

    receipt = page.get_by_role("textbox", name="Your receipt").input_value()
    assert re.search(r'value="([^"]+)"', lost[0].split('id="receipt"', 1)[1])[1] == receipt
    assert Signature.objects.count() == 1
