"""Anonymous signing end to end: in Chromium, with the command-line client, then `verify`.

The browser test records every request the page makes: before the signer presses "Sign now",
none may carry the token or its nonce, only the blinded request.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from tests.support.factories import make_letter
from tests.support.processes import UNDERSIGNED
from tests.support.smtp import SmtpSink
from undersigned.crypto import blindrsa, tokens
from undersigned.letters.models import Letter
from undersigned.publiclog.models import LogState, PendingEntry
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing import services
from undersigned.signing.models import IssuanceKey, Signature
from undersigned.signing.selectors import TokenCounts, token_counts

pytestmark = pytest.mark.e2e


@pytest.fixture
def letter(transactional_db: None, settings: object) -> Letter:
    settings.SEQUENCER_INTERVAL_SECONDS = 0.2  # type: ignore[attr-defined]
    return make_letter(domains=["example.org"])


def wait_for_log(letter: Letter, size: int, timeout: float = 15.0) -> LogState:
    """The worker's sequencer has put `size` entries into the log and nothing is queued."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = LogState.objects.filter(letter=letter).first()
        queued = PendingEntry.objects.filter(letter=letter).exists()
        if state is not None and state.size >= size and not queued:
            return state
        time.sleep(0.1)
    pytest.fail(f"the log did not reach {size} entries")


def sign_in_browser(page: Page, live_server: object, letter: Letter, smtp: SmtpSink) -> str:
    """Sign anonymously by email code; returns the token the page made."""
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    page.goto(f"{live_server}/l/{letter.slug}/sign/anonymous/")
    wait_for_log(letter, 1)  # the genesis entry, published with the issuance key
    page.get_by_role("textbox", name="Your work email").fill("ana@example.org")
    page.get_by_role("button", name="Send me a code").click()
    code = smtp.wait_for("ana@example.org")[0].code()
    page.get_by_role("textbox", name="Code from the message").fill(code)
    page.get_by_role("button", name="Get my anonymous token").click()

    token_box = page.get_by_role("textbox", name="Your anonymous token")
    expect(token_box).to_be_visible()
    token = token_box.input_value()
    nonce = tokens.Token.decode(base64.b64decode(token)).nonce
    before = [f"{r.url} {r.post_data or ''}" for r in sent]
    assert [r for r in before if token in r or nonce.hex() in r or _b64(nonce) in r] == []
    assert [r.url.split("?")[0] for r in sent if r.method == "POST"] == [
        f"{live_server}/l/{letter.slug}/sign/anonymous/",
        f"{live_server}/api/v1/letters/{letter.slug}/tokens",
    ]

    page.get_by_role("textbox", name="Department (optional)").fill("Cloud")
    page.get_by_role("button", name="Sign now").click()
    expect(page.get_by_role("heading", name=re.compile("You signed anonymously"))).to_be_visible()
    return token


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign_with_cli(live_server: object, letter: Letter, smtp: SmtpSink, pins: Path) -> str:
    """`undersigned sign --anonymous` in a subprocess, the code typed on its standard input."""
    process = subprocess.Popen(
        [
            *(UNDERSIGNED, "sign", "--anonymous", f"{live_server}/l/{letter.slug}/"),
            *("--email", "bo@example.org", "--pins", str(pins)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    code = smtp.wait_for("bo@example.org")[0].code()
    out, err = process.communicate(code + "\n", timeout=60)
    assert (process.returncode, err.splitlines()[-1]) == (0, "Enter the code from the message: ")
    receipt = json.loads(out[out.index("{") :])
    return str(receipt["receipt_secret"])


def test_browser_and_cli_sign_anonymously_and_verify_counts_both(
    live_server: object, page: Page, worker: None, smtp: SmtpSink, letter: Letter, tmp_path: Path
) -> None:
    token = sign_in_browser(page, live_server, letter, smtp)
    sign_with_cli(live_server, letter, smtp, tmp_path / "pins.json")

    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=2, redeemed=2)
    signatures = Signature.objects.order_by("department")
    assert [(s.tier, s.mailbox_hash, s.department) for s in signatures] == [
        ("anonymous", None, ""),
        ("anonymous", None, "Cloud"),
    ]
    state = wait_for_log(letter, 3)
    # The published count is the log's: both signatures, once the sequencer has run.
    page.goto(f"{live_server}/l/{letter.slug}/")
    assert page.locator(".tally-number").inner_text() == "2"
    checked = subprocess.run(
        [
            UNDERSIGNED,
            "verify",
            f"{live_server}/l/{letter.slug}/log/",
            "--key",
            state.vkey,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(checked.stdout)
    assert (checked.returncode, report["counts"]["anonymous"], report["total"]) == (0, 2, 2)
    assert tokens.Token.decode(base64.b64decode(token)).nonce.hex() in {
        s.token_nonce for s in signatures
    }


def test_page_without_log_refuses_before_sending_anything(
    live_server: object, page: Page, letter: Letter
) -> None:
    # No worker: the genesis entry is queued but never published, so the page must stop.
    invite = services.invite_batch_create(letter=letter, size=1)[0]
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_server}/l/{letter.slug}/sign/anonymous/token/?with=invite")
    page.get_by_role("textbox", name="Invite code").fill(invite)
    page.get_by_role("button", name="Get my anonymous token").click()

    expect(page.locator("#anonymous-status")).to_have_text(
        re.compile("has not published its first entry yet")
    )
    assert (posted, token_counts(letter_id=letter.pk).issued) == ([], 0)


def test_saved_token_signs_later_without_javascript(
    live_server: object, browser: object, worker: None, letter: Letter, tmp_path: Path
) -> None:
    invite = services.invite_batch_create(letter=letter, size=1)[0]
    services.anonymous_open(letter=letter)
    wait_for_log(letter, 1)
    saved = tmp_path / "token.json"
    made = subprocess.run(
        [
            *(UNDERSIGNED, "sign", "--anonymous", f"{live_server}/l/{letter.slug}/"),
            *("--invite-code", invite, "--save-token", str(saved)),
            *("--pins", str(tmp_path / "pins.json")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (made.returncode, token_counts(letter_id=letter.pk)) == (0, TokenCounts(1, 0))
    token = json.loads(saved.read_text())["token"]

    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    later = context.new_page()
    later.goto(f"{live_server}/l/{letter.slug}/sign/anonymous/redeem/")
    later.get_by_role("textbox", name="Your anonymous token").fill(token)
    later.get_by_role("button", name="Sign", exact=True).click()
    expect(later.get_by_role("heading", name=re.compile("You signed anonymously"))).to_be_visible()
    context.close()

    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=1)


def test_page_refuses_a_key_the_log_did_not_publish(
    live_server: object, page: Page, letter: Letter
) -> None:
    # A server handing this visitor a key of their own could recognize their token later.
    invite = services.invite_batch_create(letter=letter, size=1)[0]
    services.anonymous_open(letter=letter)
    log_sequence_all()
    own = tokens.encode_issuer_public_key(blindrsa.generate_private_key(2048).public_key())
    IssuanceKey.objects.filter(letter=letter).update(spki=own)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_server}/l/{letter.slug}/sign/anonymous/token/?with=invite")
    page.get_by_role("textbox", name="Invite code").fill(invite)
    page.get_by_role("button", name="Get my anonymous token").click()

    expect(page.locator("#anonymous-status")).to_have_text(
        re.compile("The key this page was given is not the one in the letter's public log")
    )
    assert (posted, token_counts(letter_id=letter.pk).issued) == ([], 0)
