"""The signer's pages, through Django's test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.signing.helpers import last_message, outbox_code, outbox_link_token, sign, text_of
from tests.support.factories import make_letter
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.mail.models import OutboxMessage
from undersigned.signing import services
from undersigned.signing.models import Signature, Verification
from undersigned.signing.selectors import letter_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"], arabic=True)


def _form(**extra: str) -> dict[str, str]:
    return {"tier": "public", "name": "Ana Lima", "email": "ana@example.org", **extra}


def _receipt(html: str) -> str:
    match = re.search(r'id="receipt"[^>]*value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def _hidden_request(html: str) -> str:
    match = re.search(r'name="request" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_code_form_signs_what_its_page_asked_not_a_later_start(
    client: Client, letter: Letter
) -> None:
    page = client.post(f"/l/{letter.slug}/sign/", _form(tier="counted", department="Cloud"))
    # Someone who knows the address starts again, asking for a public signature with a name.
    Client().post(f"/l/{letter.slug}/sign/", _form(name="Ana Lima"))

    done = client.post(
        f"/l/{letter.slug}/sign/code/",
        {
            "email": "ana@example.org",
            "code": outbox_code("ana@example.org"),
            "request": _hidden_request(page.content.decode()),
        },
    )

    assert done.status_code == 200
    signature = Signature.objects.get()
    assert (signature.tier, signature.name, signature.department) == ("counted", "", "Cloud")


def test_code_form_with_a_forged_request_signs_the_stored_one(
    client: Client, letter: Letter
) -> None:
    client.post(f"/l/{letter.slug}/sign/", _form(tier="counted", department="Cloud"))

    done = client.post(
        f"/l/{letter.slug}/sign/code/",
        {"email": "ana@example.org", "code": outbox_code("ana@example.org"), "request": "x:y"},
    )

    assert (done.status_code, Signature.objects.get().tier) == (200, "counted")


def test_code_again_after_a_lost_response_shows_the_same_receipt(
    client: Client, letter: Letter
) -> None:
    client.post(f"/l/{letter.slug}/sign/", _form())
    form = {"email": "ana@example.org", "code": outbox_code("ana@example.org")}
    first = client.post(f"/l/{letter.slug}/sign/code/", form)

    again = client.post(f"/l/{letter.slug}/sign/code/", form)

    assert (again.status_code, _receipt(again.content.decode())) == (
        200,
        _receipt(first.content.decode()),
    )


def test_withdrawal_link_get_shows_button_and_post_withdraws(
    client: Client, letter: Letter
) -> None:
    sign(letter, "ana@example.org")
    services.withdrawal_start(letter=letter, email="ana@example.org", language="en")
    token = outbox_link_token("ana@example.org")

    shown = client.get(f"/c/{token}/")
    assert (shown.status_code, Signature.objects.get().withdrawn_on) == (200, None)
    assert "Withdraw my signature</button>" in shown.content.decode()
    done = Client().post(f"/c/{token}/")

    assert done.status_code == 200
    assert "Your signature was withdrawn on" in done.content.decode()
    assert letter_counts(letter_id=letter.pk).total == 0


def test_start_page_explains_what_employer_sees_and_offers_invite(
    client: Client, letter: Letter
) -> None:
    response = client.get(f"/l/{letter.slug}/sign/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your employer's mail\n  system can see that a message from this site reached" in html
    assert f'href="/l/{letter.slug}/sign/invite/"' in html


def test_start_page_in_arabic_marks_title_rtl(client: Client, letter: Letter) -> None:
    response = client.get(f"/l/{letter.slug}/sign/?lang=ar")

    assert '<span lang="ar" dir="rtl">ألغوا العقد</span>' in response.content.decode()


def test_start_then_code_signs_and_shows_receipt_once(client: Client, letter: Letter) -> None:
    started = client.post(f"/l/{letter.slug}/sign/", _form())
    assert started.status_code == 200
    assert 'name="email" value="ana@example.org"' in started.content.decode()

    done = client.post(
        f"/l/{letter.slug}/sign/code/",
        {"email": "ana@example.org", "code": outbox_code("ana@example.org")},
    )

    assert done.status_code == 200
    assert "Save this receipt now" in done.content.decode()
    assert done["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    secret = _receipt(done.content.decode())
    services.signature_withdraw(letter=letter, receipt_secret=secret)
    assert letter_counts(letter_id=letter.pk).total == 0


def test_start_in_arabic_sends_arabic_message(client: Client, letter: Letter) -> None:
    client.post(f"/l/{letter.slug}/sign/?lang=ar", _form(language="ar"))

    text = text_of(last_message("ana@example.org"))
    assert (text.startswith("أدخل هذا الرمز"), "ألغوا العقد" in text) == (True, False)
    assert Verification.objects.get().language == "ar"


def test_start_missing_name_for_public_is_400_and_stores_nothing(
    client: Client, letter: Letter
) -> None:
    response = client.post(f"/l/{letter.slug}/sign/", _form(name=""))

    assert response.status_code == 400
    assert "Enter your name: this way of signing shows it." in response.content.decode()
    assert (Verification.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_start_wrong_domain_is_422_with_message(client: Client, letter: Letter) -> None:
    response = client.post(f"/l/{letter.slug}/sign/", _form(email="ana@gmail.com"))

    assert response.status_code == 422
    assert "Only mailboxes at this letter&#x27;s domains can sign" in response.content.decode()


def test_start_rate_limited_is_429(client: Client, letter: Letter, settings: object) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signing-start": (1, 600)}  # type: ignore[attr-defined]
    client.post(f"/l/{letter.slug}/sign/", _form())

    response = client.post(f"/l/{letter.slug}/sign/", _form())

    assert response.status_code == 429
    assert "Too many attempts from your network" in response.content.decode()


def test_code_wrong_is_400(client: Client, letter: Letter) -> None:
    client.post(f"/l/{letter.slug}/sign/", _form())

    response = client.post(
        f"/l/{letter.slug}/sign/code/", {"email": "ana@example.org", "code": "00000000"}
    )

    assert response.status_code == 400
    assert "This code is wrong" in response.content.decode()


def test_confirm_link_get_only_shows_button(client: Client, letter: Letter) -> None:
    client.post(f"/l/{letter.slug}/sign/", _form(title="Engineer"))
    token = outbox_link_token("ana@example.org")

    shown = client.get(f"/c/{token}/")
    again = client.get(f"/c/{token}/")

    assert (shown.status_code, again.status_code, Signature.objects.count()) == (200, 200, 0)
    html = shown.content.decode()
    assert "<dd>Engineer</dd>" in html
    assert "Confirm my signature</button>" in html


def test_confirm_link_post_signs(client: Client, letter: Letter) -> None:
    client.post(f"/l/{letter.slug}/sign/", _form())
    token = outbox_link_token("ana@example.org")

    response = client.post(f"/c/{token}/")

    assert (response.status_code, Signature.objects.count()) == (200, 1)


def test_confirm_link_unknown_is_404(client: Client, letter: Letter) -> None:
    response = client.get("/c/nonsense/")

    assert response.status_code == 404
    assert "This link has expired" in response.content.decode()


def test_invite_page_signs(client: Client, letter: Letter) -> None:
    code = services.invite_batch_create(letter=letter, size=1)[0]

    response = client.post(
        f"/l/{letter.slug}/sign/invite/",
        {"invite_code": code, "tier": "counted", "department": "Cloud"},
    )

    assert (response.status_code, Signature.objects.get().department) == (200, "Cloud")


def test_invite_page_used_code_is_409(client: Client, letter: Letter) -> None:
    code = services.invite_batch_create(letter=letter, size=1)[0]
    form = {"invite_code": code, "tier": "counted"}
    client.post(f"/l/{letter.slug}/sign/invite/", form)

    response = client.post(f"/l/{letter.slug}/sign/invite/", form)

    assert response.status_code == 409
    assert "This invite code has already been used." in response.content.decode()


def test_withdraw_with_receipt_page(client: Client, letter: Letter) -> None:
    receipt = sign(letter, "ana@example.org")

    response = client.post(f"/l/{letter.slug}/sign/withdraw/", {"receipt_secret": receipt.secret})

    assert response.status_code == 200
    assert "Your signature was withdrawn" in response.content.decode()
    assert letter_counts(letter_id=letter.pk).total == 0


def test_withdraw_with_email_and_code_pages(client: Client, letter: Letter) -> None:
    sign(letter, "ana@example.org")

    asked = client.post(f"/l/{letter.slug}/sign/withdraw/email/", {"email": "ana@example.org"})
    done = client.post(
        f"/l/{letter.slug}/sign/withdraw/code/",
        {"email": "ana@example.org", "code": outbox_code("ana@example.org")},
    )

    assert (asked.status_code, done.status_code) == (200, 200)
    assert letter_counts(letter_id=letter.pk).total == 0


def test_signatories_page_lists_public_only_with_breakdown(client: Client, letter: Letter) -> None:
    letter.breakdown_threshold = 2
    letter.save()
    sign(letter, "a@example.org", name="Visible Person", department="Cloud")
    sign(letter, "b@example.org", name="Hidden Person", tier="recipient", department="Cloud")
    sign(letter, "c@example.org", tier="counted", department="Tiny")

    html = client.get(f"/l/{letter.slug}/signatories/").content.decode()

    assert '<p class="count" id="signature-count">3</p>' in html
    assert "<td>Visible Person</td>" in html
    assert "Hidden Person" not in html
    assert "<tr><td>Cloud</td><td>2</td></tr>" in html
    assert "Tiny" not in html
    assert "1 other department</td><td>fewer than 2 each" in html


def test_start_page_of_closed_letter_says_so(client: Client) -> None:
    letter = make_letter(state=State.CLOSED)

    response = client.get(f"/l/{letter.slug}/sign/")

    assert "This letter is not accepting signatures now." in response.content.decode()


def test_start_page_of_draft_is_404(client: Client) -> None:
    assert client.get(f"/l/{make_letter(state=State.DRAFT).slug}/sign/").status_code == 404


def test_rate_limited_start_page_says_when_to_try_again(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signing-start": (1, 600)}
    letter = make_letter(domains=["example.org"])
    client = Client()
    form = {"email": "ana@example.org", "tier": "counted", "version": letter.version}
    client.post(f"/l/{letter.slug}/sign/", form)

    refused = client.post(f"/l/{letter.slug}/sign/", {**form, "email": "bea@example.org"})

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
