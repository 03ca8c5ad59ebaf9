"""axe-core over the pages a signer and an organizer go through, on a phone and a laptop, in
English and Arabic (right to left): no violation of any impact."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in
from tests.support.factories import make_letter, make_organizer
from tests.support.smtp import SmtpSink
from undersigned.letters.models import Letter

pytestmark = pytest.mark.e2e

AXE = Axe()
SIZES = [(390, 844), (1280, 800)]


@pytest.fixture
def letter(transactional_db: None) -> Letter:
    return make_letter(domains=["example.org"], arabic=True)


def _violations(page: Page) -> list[tuple[str, str, int]]:
    found = AXE.run(page).response["violations"]
    return [(v["id"], v["impact"], len(v["nodes"])) for v in found]


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_signing_by_email_pages_have_no_axe_violations(
    live_server: object,
    page: Page,
    worker: None,
    smtp: SmtpSink,
    letter: Letter,
    language: str,
    width: int,
    height: int,
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    mailbox = f"axe.{width}.{language}@example.org"
    seen: dict[str, list[tuple[str, str, int]]] = {}

    page.goto(f"{live_server}/l/{letter.slug}/sign/?lang={language}")
    seen["start"] = _violations(page)
    page.locator("input[name=email]").fill(mailbox)
    page.locator("input[name=tier][value=counted]").check()
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("input[name=code]")).to_be_visible()
    seen["check email"] = _violations(page)
    link = smtp.wait_for(mailbox)[0].link("/c/").replace("http://testserver", str(live_server))
    page.goto(link)
    seen["link"] = _violations(page)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Save this receipt now")).to_be_visible()
    seen["receipt"] = _violations(page)
    page.goto(link)
    seen["link used"] = _violations(page)
    page.goto(f"{live_server}/c/not-a-token/")
    seen["link invalid"] = _violations(page)
    page.goto(f"{live_server}/l/{letter.slug}/sign/withdraw/?lang={language}")
    seen["withdraw"] = _violations(page)

    assert seen == {name: [] for name in seen}


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_sign_in_security_pages_have_no_axe_violations(
    live_server: object, page: Page, letter: Letter, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    organizer = make_organizer()
    seen: dict[str, list[tuple[str, str, int]]] = {}

    page.goto(f"{live_server}/accounts/login/")
    seen["login"] = _violations(page)
    log_in(page, str(live_server), organizer.email)
    page.goto(f"{live_server}/accounts/two-factor/")
    seen["two-factor"] = _violations(page)
    page.goto(f"{live_server}/accounts/two-factor/app/")
    seen["app"] = _violations(page)

    assert seen == {name: [] for name in seen}


def test_axe_finds_a_violation_when_there_is_one(page: Page) -> None:
    # Proof the checker runs in this browser: an empty page would pass as well as a good one.
    page.set_content(
        '<html lang="en"><title>t</title><main><h1>t</h1><input type="text"></main></html>'
    )

    assert [found[0] for found in _violations(page)] == ["label"]
