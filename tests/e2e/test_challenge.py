"""Past the budget of unconfirmed messages, the signing page solves the challenge itself."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from playwright.sync_api import Page, expect

from tests.support.factories import make_letter
from tests.support.smtp import SmtpSink
from undersigned.letters.models import Letter
from undersigned.signing.models import Signature

pytestmark = pytest.mark.e2e


@pytest.fixture
def letter(transactional_db: None) -> Letter:
    return make_letter(domains=["example.org"])


def test_sign_through_the_challenge_after_the_budget_is_spent(
    live_server: object, page: Page, worker: None, smtp: SmtpSink, letter: Letter, settings: Any
) -> None:
    settings.SIGNING_UNCONFIRMED_PER_LETTER = 1
    settings.SIGNING_CHALLENGE_COST = 50
    # Someone else's start took the letter's whole budget.
    Client(REMOTE_ADDR="198.51.100.9").post(
        f"/api/v1/letters/{letter.slug}/signatures",
        json.dumps({"email": "stranger@example.org", "tier": "counted"}),
        content_type="application/json",
    )
    # The widget, its worker and its styles must all pass the Content-Security-Policy.
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    page.goto(f"{live_server}/l/{letter.slug}/sign/")
    page.get_by_role("textbox", name="Your work email").fill("ana@example.org")
    page.locator("input[name=tier][value=counted]").check()
    # The widget fills the form's answer on its own, without a click.
    expect(page.locator("input[name=altcha]")).to_have_value(re.compile(r"^ey"), timeout=30_000)
    violations = [v["id"] for v in Axe().run(page).response["violations"]]
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name=re.compile("Check your email"))).to_be_visible()

    code = smtp.wait_for("ana@example.org")[0].code()
    page.get_by_role("textbox", name="Code from the message").fill(code)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Save this receipt now")).to_be_visible()
    assert (Signature.objects.get().tier, refused, violations) == ("counted", [], [])
