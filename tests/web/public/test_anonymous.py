"""The anonymous signing pages, through Django's test client (the script runs in tests/e2e)."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client

from tests.signing.anonymous_helpers import flip, start_anonymous, token_by_email
from tests.signing.helpers import code_in, last_message, outbox_link_token
from tests.support.factories import make_letter
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.publiclog.models import LogState
from undersigned.signing.models import IssuanceKey, Signature, Verification
from undersigned.signing.selectors import TokenCounts, token_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"], arabic=True)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_first_visit_makes_the_key_and_queues_it_in_the_log(client: Client, letter: Letter) -> None:
    response = client.get(f"/l/{letter.slug}/sign/anonymous/")

    html = response.content.decode()
    assert response.status_code == 200
    assert (IssuanceKey.objects.count(), LogState.objects.count()) == (1, 1)
    assert f"undersigned sign --anonymous http://testserver/l/{letter.slug}/" in html
    assert f'href="/l/{letter.slug}/sign/anonymous/token/?with=invite"' in html


def test_named_start_page_links_to_anonymous(client: Client, letter: Letter) -> None:
    html = client.get(f"/l/{letter.slug}/sign/").content.decode()

    assert f'<a href="/l/{letter.slug}/sign/anonymous/">sign anonymously</a>' in html


def test_start_sends_code_and_shows_token_page_with_script(client: Client, letter: Letter) -> None:
    response = client.post(
        f"/l/{letter.slug}/sign/anonymous/", {"email": "ana@example.org", "language": "en"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert code_in(last_message("ana@example.org")) is not None
    assert Verification.objects.get().tier == "anonymous"
    assert 'name="email" value="ana@example.org"' in html
    assert 'data-mode="email"' in html
    assert '<script type="module" src="/static/undersigned/js/sign-anonymous.js">' in html


def test_start_wrong_domain_is_422_and_sends_nothing(client: Client, letter: Letter) -> None:
    response = client.post(f"/l/{letter.slug}/sign/anonymous/", {"email": "ana@evil.test"})

    assert response.status_code == 422
    assert "Only mailboxes at this letter" in response.content.decode()
    assert Verification.objects.count() == 0


def test_token_form_posted_without_script_uses_nothing_up(client: Client, letter: Letter) -> None:
    start_anonymous(letter, "ana@example.org")
    code = code_in(last_message("ana@example.org"))

    response = client.post(
        f"/l/{letter.slug}/sign/anonymous/token/", {"email": "ana@example.org", "code": code}
    )

    assert response.status_code == 400
    assert "This step needs the page's script, which did not run" in response.content.decode()
    assert (Verification.objects.get().attempts, token_counts(letter_id=letter.pk).issued) == (
        0,
        0,
    )


def test_invite_token_page_asks_for_the_code(client: Client, letter: Letter) -> None:
    html = client.get(f"/l/{letter.slug}/sign/anonymous/token/?with=invite").content.decode()

    assert 'data-mode="invite"' in html
    assert re.search(r'<input type="text" name="invite_code"[^>]*id="id_invite_code"', html)


def test_redeem_form_signs_and_shows_receipt(client: Client, letter: Letter) -> None:
    token = token_by_email(letter, "ana@example.org")

    response = client.post(
        f"/l/{letter.slug}/sign/anonymous/redeem/",
        {"token": _b64(token), "department": "Cloud", "language": "en"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "It is the only way to withdraw an anonymous\n  signature" in html
    assert re.search(r'id="receipt" class="signing-receipt" readonly value="[\w-]{40,}"', html)
    assert Signature.objects.get().department == "Cloud"


def test_redeem_accepts_a_token_pasted_with_line_breaks(client: Client, letter: Letter) -> None:
    text = _b64(token_by_email(letter, "ana@example.org"))
    wrapped = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))

    response = client.post(f"/l/{letter.slug}/sign/anonymous/redeem/", {"token": f" {wrapped}\n"})

    assert response.status_code == 200
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=1)


@pytest.mark.parametrize(
    ("make", "status", "message"),
    [
        (lambda t: "", 400, "This field is required."),
        (lambda t: "not a token at all!", 400, "The token is not base64 of the expected size"),
        (lambda t: _b64(t[:100]), 422, "This is not an anonymous token: Token must be 354"),
        (lambda t: _b64(flip(t, 300)), 422, "This token&#x27;s signature does not verify"),
        (lambda t: "A" * 1999, 400, "The token is not base64 of the expected size"),
    ],
)
def test_redeem_bad_token_is_refused_with_a_reason(
    client: Client, letter: Letter, make: object, status: int, message: str
) -> None:
    token = token_by_email(letter, "ana@example.org")

    response = client.post(
        f"/l/{letter.slug}/sign/anonymous/redeem/",
        {"token": make(token)},  # type: ignore[operator]
    )

    assert response.status_code == status
    assert message in response.content.decode()
    assert Signature.objects.count() == 0


def test_redeem_twice_is_409(client: Client, letter: Letter) -> None:
    token = _b64(token_by_email(letter, "ana@example.org"))
    client.post(f"/l/{letter.slug}/sign/anonymous/redeem/", {"token": token})

    response = client.post(f"/l/{letter.slug}/sign/anonymous/redeem/", {"token": token})

    assert response.status_code == 409
    assert "This token has already been used to sign." in response.content.decode()


def test_redeem_hostile_department_is_400_and_token_unused(client: Client, letter: Letter) -> None:
    token = _b64(token_by_email(letter, "ana@example.org"))

    response = client.post(
        f"/l/{letter.slug}/sign/anonymous/redeem/",
        {"token": token, "department": "<b>Ops</b>\u202e"},
    )

    assert response.status_code == 400
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=0)


def test_closed_letter_pages_say_so_and_make_no_key(client: Client) -> None:
    letter = make_letter(domains=["example.org"], state=State.CLOSED)

    pages = [
        client.get(f"/l/{letter.slug}/sign/anonymous/{path}") for path in ("", "token/", "redeem/")
    ]

    assert [p.status_code for p in pages] == [200, 200, 200]
    assert all("This letter is not accepting signatures now." in p.content.decode() for p in pages)
    assert IssuanceKey.objects.count() == 0


def test_confirmation_link_of_anonymous_code_points_to_token_page(
    client: Client, letter: Letter
) -> None:
    start_anonymous(letter, "ana@example.org")

    html = client.get(f"/c/{outbox_link_token('ana@example.org')}/").content.decode()

    assert "This message is for an anonymous signature." in html
    assert f'href="/l/{letter.slug}/sign/anonymous/token/"' in html
    assert "Confirm my signature</button>" not in html


def test_signatories_page_shows_tokens_beside_count(client: Client, letter: Letter) -> None:
    token_by_email(letter, "ana@example.org")

    html = client.get(f"/l/{letter.slug}/signatories/").content.decode()

    assert "Anonymous tokens issued: <strong>1</strong>" in html


def test_token_page_in_arabic_marks_title_rtl(client: Client, letter: Letter) -> None:
    html = client.get(f"/l/{letter.slug}/sign/anonymous/token/?lang=ar").content.decode()

    assert '<span lang="ar" dir="rtl">ألغوا العقد</span>' in html
