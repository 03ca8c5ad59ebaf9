"""The organizers' updates page and the public unsubscribe page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.delivery.updates_helpers import (
    age_updates,
    fan_out,
    letter_in,
    member,
    queued,
    send_update,
    subscribe,
    texts,
    unsubscribe_token,
)
from tests.signing.helpers import sign
from tests.support.factories import PASSWORD, make_organizer
from undersigned.accounts.models import User
from undersigned.delivery.models import Update
from undersigned.letters.models import Letter
from undersigned.mail.models import OutboxMessage
from undersigned.signing.codes import signature_link_token
from undersigned.signing.models import Signature
from undersigned.signing.services import signature_withdraw

pytestmark = pytest.mark.django_db

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
POST = {"subject_en": "Delivered!", "body_en": "The CEO has it.", "subject_de": "", "body_de": ""}


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def _page(letter: Letter) -> str:
    return f"/manage/letters/{letter.slug}/updates/"


def _unsubscribe(letter: Letter, signature: Signature, lang: str = "en") -> str:
    token = signature_link_token(signature.pk, "unsubscribe")
    return f"/l/{letter.slug}/unsubscribe/{token}/?lang={lang}"


def test_updates_page_editor_sends_and_sees_it_listed() -> None:
    letter = letter_in("en", "de")
    editor = member(letter, "editor")
    subscribe(letter, "ana@example.org")
    subscribe(letter, "ben@example.org", "de")
    client = _client(editor)

    before = client.get(_page(letter)).content.decode()
    response = client.post(_page(letter), POST, follow=True)

    page = response.content.decode()
    assert "2 signers asked for updates and will get the next one." in before
    assert "It goes to 2 subscribers now" in before
    assert (
        '<p class="message success">The update is saved; the worker is sending it to every '
        "subscriber.</p>"
    ) in page
    assert re.search(r"<td[^>]*>Delivered!</td><td>being sent \(0 so far\)</td>", page)
    fan_out()
    page = client.get(_page(letter)).content.decode()
    assert re.search(r"<td[^>]*>Delivered!</td><td>2</td>", page) is not None
    assert re.search(r"The next update can be sent from \d{4}-\d\d-\d\d \d\d:\d\d UTC\.", page)
    assert sorted(queued()) == ["ana@example.org", "ben@example.org"]


def test_updates_page_bad_input_400_with_the_message_and_nothing_sent() -> None:
    letter = letter_in("en", "de")
    subscribe(letter, "ana@example.org")
    client = _client(member(letter, "owner"))

    response = client.post(_page(letter), {**POST, "body_en": "evil \u202e text"})

    assert response.status_code == 400
    assert "The text contains invisible direction-changing characters." in response.content.decode()
    assert (Update.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_updates_page_viewer_sees_count_but_cannot_send() -> None:
    letter = letter_in("en")
    subscribe(letter, "ana@example.org")
    client = _client(member(letter, "viewer"))

    page = client.get(_page(letter))
    sent = client.post(_page(letter), POST)

    assert (page.status_code, sent.status_code) == (200, 404)
    assert "1 signer asked for updates" in page.content.decode()
    assert "Send the update" not in page.content.decode()
    assert (Update.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_updates_page_non_member_gets_the_missing_letter_404() -> None:
    letter = letter_in("en")
    client = _client(make_organizer())

    answers = [client.get(_page(letter)), client.post(_page(letter), POST),
               client.get("/manage/letters/no-such-letter/updates/")]  # fmt: skip

    assert [a.status_code for a in answers] == [404, 404, 404]
    assert _CSRF.sub("", answers[0].content.decode()) == _CSRF.sub("", answers[2].content.decode())
    assert Update.objects.count() == 0


def test_updates_page_says_when_the_next_update_is_possible() -> None:
    letter = letter_in("en")
    owner = member(letter, "owner")
    send_update(letter=letter, user=owner, texts=texts(en=("First", "News")))
    age_updates(letter, days=1)
    next_at = Update.objects.get().created_at + timedelta(days=3)

    page = _client(owner).get(_page(letter)).content.decode()

    day = f"{next_at:%Y-%m-%d %H:%M}"
    assert f"The next update can be sent from {day} UTC." in page
    assert "Send the update" not in page


def test_unsubscribe_get_shows_a_button_and_changes_nothing() -> None:
    letter = letter_in("en")
    signature = subscribe(letter, "ana@example.org")

    response = Client().get(_unsubscribe(letter, signature))

    signature.refresh_from_db()
    assert response.status_code == 200
    assert '<button type="submit">Unsubscribe</button>' in response.content.decode()
    assert signature.updates_address is not None


def test_unsubscribe_post_erases_the_address_and_says_so() -> None:
    letter = letter_in("en")
    signature = subscribe(letter, "ana@example.org")

    response = Client(enforce_csrf_checks=True).post(_unsubscribe(letter, signature))

    signature.refresh_from_db()
    assert response.status_code == 200
    assert "You will get no more updates about" in response.content.decode()
    assert (signature.updates_address, signature.updates_language) == (None, "")


def test_unsubscribe_one_click_post_without_csrf_then_no_more_updates() -> None:
    letter = letter_in("en")
    subscribe(letter, "ana@example.org")
    subscribe(letter, "ben@example.org")
    send_update(letter=letter, user=make_organizer(), texts=texts(en=("First", "News")))
    message = queued()["ana@example.org"]
    url = str(message["List-Unsubscribe"]).strip().strip("<>").removeprefix("http://testserver")
    OutboxMessage.objects.all().delete()

    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert url.split("/")[4] == unsubscribe_token(message)
    age_updates(letter, days=4)
    send_update(letter=letter, user=make_organizer(), texts=texts(en=("Second", "News")))
    assert sorted(queued()) == ["ben@example.org"]


def test_unsubscribe_forged_token_is_the_same_404_as_an_unknown_page() -> None:
    letter = letter_in("en")
    signature = subscribe(letter, "ana@example.org")
    other = letter_in("en")
    token = signature_link_token(signature.pk, "unsubscribe")
    client = Client()

    answers = [
        client.get(f"/l/{letter.slug}/unsubscribe/{token[:-1]}x/"),
        client.post(f"/l/{letter.slug}/unsubscribe/{token[:-1]}x/"),
        client.post(f"/l/{other.slug}/unsubscribe/{token}/"),
        client.post(f"/l/{letter.slug}/unsubscribe/{signature_link_token(signature.pk, 'x')}/"),
        client.get(f"/l/{letter.slug}/unsubscribe/%E2%80%AE%00/"),
        client.get("/l/no-such-letter/nothing/"),
    ]

    assert [a.status_code for a in answers] == [404] * 6
    assert len({_CSRF.sub("", a.content.decode()) for a in answers}) == 1
    signature.refresh_from_db()
    assert signature.updates_address is not None


def test_unsubscribe_twice_or_after_withdrawal_gives_the_same_answer() -> None:
    letter = letter_in("en")
    once = subscribe(letter, "ana@example.org")
    receipt = sign(letter, "ben@example.org", updates=True)  # type: ignore[arg-type]  # sign() passes it on to a bool
    withdrawn = Signature.objects.get(receipt_commitment__isnull=False, pk__gt=once.pk)
    signature_withdraw(letter=letter, receipt_secret=receipt.secret)
    client = Client()

    first = client.post(_unsubscribe(letter, once)).content
    answers = [client.post(_unsubscribe(letter, once)).content,
               client.post(_unsubscribe(letter, withdrawn)).content]  # fmt: skip

    assert answers == [first, first]


def test_unsubscribe_page_in_the_subscribers_language() -> None:
    letter = letter_in("en", "ar")
    signature = subscribe(letter, "ana@example.org", "ar")
    client = Client()

    page = client.get(_unsubscribe(letter, signature, "ar")).content.decode()
    done = client.post(_unsubscribe(letter, signature, "ar")).content.decode()
    fallback = client.get(_unsubscribe(letter, signature, "ja")).content.decode()

    assert '<html lang="ar" dir="rtl">' in page
    assert '<button type="submit">ألغِ الاشتراك</button>' in page
    assert "لن تصلك بعد الآن أي تحديثات عن «<bdi>ألغوا العقد</bdi>»." in done
    assert ('<html lang="en" dir="ltr">' in fallback, "Unsubscribe</button>" in fallback) == (
        True,
        True,
    )


def test_letter_dashboard_links_to_the_updates_page() -> None:
    letter = letter_in("en")

    page = _client(member(letter, "viewer")).get(f"/manage/letters/{letter.slug}/")

    assert f'<a href="/manage/letters/{letter.slug}/updates/">Updates to signers</a>' in (
        page.content.decode()
    )


@settings(max_examples=30, deadline=None)
@given(subject=st.text(max_size=250), body=st.text(max_size=400), lang=st.text(max_size=12))
def test_updates_page_any_text_is_sent_or_refused_never_500(
    subject: str, body: str, lang: str
) -> None:
    letter = letter_in("en")
    owner = member(letter, "owner")
    response = _client(owner).post(
        _page(letter), {"subject_en": subject, "body_en": body, f"subject_{lang}": subject}
    )
    assert response.status_code in {302, 400}
    assert Update.objects.filter(letter=letter).count() == (1 if response.status_code == 302 else 0)
