"""Two-factor sign-in in a real browser: an authenticator app, and a passkey on a virtual key."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in
from tests.support.factories import PASSWORD, make_organizer
from tests.support.totp import code_for_secret

pytestmark = pytest.mark.e2e

EMAIL = "ana@organizers.test"


def _watch_console(page: Page) -> list[str]:
    """What the browser refused under the Content-Security-Policy (inline script, say)."""
    logged: list[str] = []
    page.on(
        "console",
        lambda message: (
            logged.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return logged


def _log_out(page: Page, base: str) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/")


def _password_step(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/accounts/two-factor/verify/?next=%2Fmanage%2F")


def test_organizer_enrols_app_then_signs_in_with_password_and_code(
    live_server: object, page: Page
) -> None:
    base = str(live_server)
    logged = _watch_console(page)
    make_organizer(EMAIL)
    log_in(page, base, EMAIL)

    page.get_by_role("link", name="Sign-in security").click()
    page.get_by_role("link", name="Set up an authenticator app").click()
    assert page.get_by_role("img", name="QR code holding the key shown below").is_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(code_for_secret(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_role("link", name="I have saved them, continue").click()
    page.wait_for_url(f"{base}/manage/")
    _log_out(page, base)

    _password_step(page, base)
    page.goto(f"{base}/manage/")
    page.wait_for_url(f"{base}/accounts/two-factor/verify/?next=%2Fmanage%2F")
    page.get_by_label("Code").fill(code_for_secret(secret, steps=1))
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url(f"{base}/manage/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your letters"
    assert logged == []


def test_organizer_adds_passkey_then_signs_in_with_it(
    live_server: object, page: Page, settings: Any
) -> None:
    base = str(live_server)
    # Passkeys belong to a host name; the live server is http://localhost, which browsers trust.
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base]
    client = page.context.new_cdp_session(page)
    client.send("WebAuthn.enable")
    added = client.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    logged = _watch_console(page)
    make_organizer(EMAIL)
    log_in(page, base, EMAIL)

    page.get_by_role("link", name="Sign-in security").click()
    page.get_by_role("button", name="Add a passkey").click()
    # A round trip to the server, one to the authenticator, another to the server, then the
    # page reloads: on a loaded machine (the suite runs in parallel) that takes a while.
    status = page.locator("#passkey-register-status-message")
    try:
        expect(page.get_by_text(re.compile(r"added \d"))).to_be_visible(timeout=30_000)
    except AssertionError as exc:
        shown = status.inner_text() if status.count() else "(no status)"
        raise AssertionError(f"no passkey added; the page says: {shown!r}") from exc
    stored = client.send("WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]})
    assert len(stored["credentials"]) == 1
    _log_out(page, base)

    _password_step(page, base)
    page.get_by_role("button", name="Confirm with a passkey").click()

    page.wait_for_url(f"{base}/manage/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your letters"
    assert logged == []
