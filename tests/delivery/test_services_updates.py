"""Updates to subscribers: who gets one, in which language, how often, and what is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from tests.delivery.updates_helpers import (
    age_updates,
    html_of,
    letter_in,
    queued,
    send_update,
    subscribe,
    text_of,
    texts,
)
from tests.support.factories import make_organizer
from undersigned.delivery.models import Update
from undersigned.delivery.services import update_fanout, update_send, updates_unsubscribe
from undersigned.letters.states import State
from undersigned.mail.models import OutboxMessage
from undersigned.signing.models import Signature
from undersigned.signing.services import (
    signature_flag,
    signature_withdraw,
    signatures_invalidate,
)
from undersigned.signing.services.organizers import InvalidationRule

pytestmark = pytest.mark.django_db

EN = ("Delivered!", "The CEO has the letter.\n\nThank you.")
DE = ("Zugestellt!", "Der CEO hat den Brief.")
AR = ("تم التسليم", "وصلت الرسالة إلى المدير التنفيذي.")


def test_update_send_queues_one_message_per_subscriber_in_their_language() -> None:
    letter = letter_in("en", "de", "ar", "fr")
    for email, language in [("en@example.org", "en"), ("de@example.org", "de"),
                            ("ar@example.org", "ar"), ("fr@example.org", "fr")]:  # fmt: skip
        subscribe(letter, email, language)

    update = send_update(letter=letter, user=make_organizer(), texts=texts(en=EN, de=DE, ar=AR))

    messages = queued()
    assert {to: str(m["Subject"]) for to, m in messages.items()} == {
        "en@example.org": "Delivered!",
        "de@example.org": "Zugestellt!",
        "ar@example.org": "تم التسليم",
        # No French text was written: the letter's default language, frame included.
        "fr@example.org": "Delivered!",
    }
    assert (update.recipients, Update.objects.get().texts) == (
        4,
        {"en": {"subject": EN[0], "body": EN[1]}, "de": {"subject": DE[0], "body": DE[1]},
         "ar": {"subject": AR[0], "body": AR[1]}},
    )  # fmt: skip
    assert text_of(messages["de@example.org"]).splitlines()[:5] == [
        "Hallo,",
        "",
        "das Organisationsteam des offenen Briefs „Title de“, den Sie unterschrieben haben, "
        "schickt Ihnen diese Neuigkeit:",
        "",
        "Zugestellt!",
    ]
    assert text_of(messages["fr@example.org"]).splitlines()[0] == "Hello,"
    assert '<html lang="ar" dir="rtl">' in html_of(messages["ar@example.org"])


def test_update_send_skips_withdrawn_invalidated_and_non_subscribers() -> None:
    letter = letter_in("en")
    subscribe(letter, "stays@example.org")
    subscribe(letter, "quiet@example.org", updates=False)
    flagged = subscribe(letter, "flagged@example.org")
    signature_flag(letter=letter, signature_id=flagged.pk, flagged=True)
    signatures_invalidate(letter=letter, rule=InvalidationRule(flagged_only=True),
                          reason="Not employees", user=make_organizer())  # fmt: skip
    gone = subscribe(letter, "gone@example.org")
    updates_unsubscribe(letter=letter, token=_token(gone))
    assert Signature.objects.filter(updates_address__isnull=False).count() == 2

    update = send_update(letter=letter, user=make_organizer(), texts=texts(en=EN))

    assert (sorted(queued()), update.recipients) == (["stays@example.org"], 1)


def test_update_send_skips_a_withdrawn_signer() -> None:
    from tests.signing.helpers import sign

    letter = letter_in("en")
    subscribe(letter, "stays@example.org")
    receipt = sign(letter, "leaves@example.org", updates=True)  # type: ignore[arg-type]  # sign() passes it on to a bool
    OutboxMessage.objects.all().delete()
    signature_withdraw(letter=letter, receipt_secret=receipt.secret)

    send_update(letter=letter, user=make_organizer(), texts=texts(en=EN))

    assert sorted(queued()) == ["stays@example.org"]


def test_update_send_second_within_three_days_refused_with_the_next_time() -> None:
    letter = letter_in("en")
    subscribe(letter, "ana@example.org")
    first = send_update(letter=letter, user=make_organizer(), texts=texts(en=EN))
    OutboxMessage.objects.all().delete()
    age_updates(letter, days=2.9)
    first.refresh_from_db()
    expected = first.created_at + timedelta(days=3)

    with pytest.raises(ValidationError) as caught:
        send_update(letter=letter, user=make_organizer(), texts=texts(en=EN))

    assert caught.value.messages == [
        f"One update every 3 days: the next one can be sent from {expected:%Y-%m-%d %H:%M} UTC."
    ]
    assert (Update.objects.count(), OutboxMessage.objects.count()) == (1, 0)


def test_update_send_after_three_days_allowed() -> None:
    letter = letter_in("en")
    subscribe(letter, "ana@example.org")
    send_update(letter=letter, user=make_organizer(), texts=texts(en=EN))
    age_updates(letter, days=3.01)

    send_update(letter=letter, user=make_organizer(), texts=texts(en=("Again", "More news.")))

    assert Update.objects.count() == 2
    assert [str(m["Subject"]) for m in _all_queued()] == ["Delivered!", "Again"]


def test_update_send_rate_limit_is_per_letter() -> None:
    one, other = letter_in("en"), letter_in("en")
    send_update(letter=one, user=make_organizer(), texts=texts(en=EN))

    send_update(letter=other, user=make_organizer(), texts=texts(en=EN))

    assert Update.objects.filter(letter=other).count() == 1


@pytest.mark.parametrize("state", [State.DRAFT, State.ARCHIVED])
def test_update_send_refused_for_draft_and_archived_letters(state: str) -> None:
    letter = letter_in("en", state=state)

    with pytest.raises(ValidationError) as caught:
        send_update(letter=letter, user=make_organizer(), texts=texts(en=EN))

    label = State(state).label.lower()
    assert caught.value.messages == [
        f"Updates go out while a letter is open, closed or delivered; this one is {label}."
    ]
    assert (Update.objects.count(), OutboxMessage.objects.count()) == (0, 0)


@pytest.mark.parametrize("state", [State.OPEN, State.CLOSED, State.DELIVERED])
def test_update_send_allowed_while_open_closed_or_delivered(state: str) -> None:
    letter = letter_in("en")
    subscribe(letter, "ana@example.org")
    letter.__class__.objects.filter(pk=letter.pk).update(state=state)

    update = send_update(letter=letter, user=make_organizer(), texts=texts(en=EN))

    assert (update.recipients, sorted(queued())) == (1, ["ana@example.org"])


def test_update_send_html_in_the_text_is_shown_not_rendered() -> None:
    letter = letter_in("en")
    subscribe(letter, "ana@example.org")
    hostile = '<a href="https://evil.example">click</a> & <script>alert(1)</script>'

    send_update(letter=letter, user=make_organizer(),
                texts=texts(en=("<b>News</b>", hostile)))  # fmt: skip

    message = queued()["ana@example.org"]
    html = html_of(message)
    assert str(message["Subject"]) == "<b>News</b>"
    assert "&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt; &amp; " in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ("<script>" in html, 'evil.example">' in html) == (False, False)
    assert '<h1 style="font-size: 1.25em;">&lt;b&gt;News&lt;/b&gt;</h1>' in html
    assert hostile in text_of(message)


@pytest.mark.parametrize(
    ("given", "errors"),
    [
        (texts(en=("Hi \u202e there", "Body")),
         {"subject_en": ["The subject contains invisible direction-changing characters. "
                         "Please remove them."]}),
        (texts(en=("Hi", "Body \u2066 isolate")),
         {"body_en": ["The text contains invisible direction-changing characters. "
                      "Please remove them."]}),
        (texts(en=("Hi", "bell \x07")), {"body_en": ["The text contains control characters."]}),
        (texts(en=("x" * 201, "Body")),
         {"subject_en": ["The subject is too long (201 characters; the limit is 200)."]}),
        (texts(en=("Hi", "y" * 10_001)),
         {"body_en": ["The text is too long (10001 characters; the limit is 10000)."]}),
        (texts(en=("Two\nlines", "Body")), {"subject_en": ["The subject must be a single line."]}),
        (texts(de=DE),
         {"subject_en": ["Write the subject: the letter's main language is required."],
          "body_en": ["Write the text: the letter's main language is required."]}),
        (texts(en=("Hi", "")),
         {"body_en": ["Write the text: the letter's main language is required."]}),
        (texts(en=EN, de=("Nur Betreff", "")),
         {"body_de": ["Write the text in this language too, or leave both empty."]}),
        (texts(en=EN, fr=("Bonjour", "Texte")),
         {"__all__": ["This letter has no text in fr; write the update only in the letter's "
                      "languages (en, de)."]}),
    ],
)  # fmt: skip
def test_update_send_bad_input_refused_and_nothing_queued(
    given: dict[str, dict[str, str]], errors: dict[str, list[str]]
) -> None:
    letter = letter_in("en", "de")
    subscribe(letter, "ana@example.org")

    with pytest.raises(ValidationError) as caught:
        send_update(letter=letter, user=make_organizer(), texts=given)

    assert caught.value.message_dict == errors
    assert (Update.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_update_send_optional_language_left_empty_is_not_stored() -> None:
    letter = letter_in("en", "de")

    send_update(letter=letter, user=make_organizer(), texts=texts(en=EN, de=("", "  ")))

    assert list(Update.objects.get().texts) == ["en"]


def test_update_send_carries_one_click_unsubscribe_headers() -> None:
    letter = letter_in("en")
    signature = subscribe(letter, "ana@example.org")

    send_update(letter=letter, user=make_organizer(), texts=texts(en=EN))

    message = queued()["ana@example.org"]
    url = f"http://testserver/l/{letter.slug}/unsubscribe/{_token(signature)}/?lang=en"
    # A long header is folded before the "<"; unfolding (RFC 5322 section 2.2.3) leaves a space.
    headers = (str(message["List-Unsubscribe"]).strip(), str(message["List-Unsubscribe-Post"]))
    assert headers == (
        f"<{url}>",
        "List-Unsubscribe=One-Click",
    )
    assert text_of(message).rstrip().splitlines()[-1] == url


def test_updates_unsubscribe_erases_address_and_language_and_later_updates_skip_them() -> None:
    letter = letter_in("en", "de")
    signature = subscribe(letter, "ana@example.org", "de")
    subscribe(letter, "ben@example.org")

    assert updates_unsubscribe(letter=letter, token=_token(signature)) is True

    signature.refresh_from_db()
    assert (signature.updates_address, signature.updates_language) == (None, "")
    send_update(letter=letter, user=make_organizer(), texts=texts(en=EN))
    assert sorted(queued()) == ["ben@example.org"]
    # Twice is the same answer.
    assert updates_unsubscribe(letter=letter, token=_token(signature)) is True


def test_updates_unsubscribe_forged_or_foreign_token_refused() -> None:
    letter, other = letter_in("en"), letter_in("en")
    signature = subscribe(letter, "ana@example.org")
    token = _token(signature)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    outcomes = [
        updates_unsubscribe(letter=letter, token=forged),
        updates_unsubscribe(letter=other, token=token),
        updates_unsubscribe(letter=letter, token="not-a-token"),
    ]

    assert outcomes == [False, False, False]
    signature.refresh_from_db()
    assert signature.updates_address is not None


def _token(signature: Signature) -> str:
    from undersigned.signing.codes import signature_link_token

    return signature_link_token(signature.pk, "unsubscribe")


def _all_queued() -> list[object]:
    from email import message_from_bytes, policy

    return [
        message_from_bytes(bytes(row.message), policy=policy.default)
        for row in OutboxMessage.objects.order_by("pk")
    ]


def test_update_send_is_instant_and_fan_out_queries_grow_per_batch_not_per_subscriber() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from undersigned.signing.mailbox import encrypt_address

    def queries_for(subscribers: int) -> tuple[int, int]:
        letter = letter_in("en", "de")
        # Rows as signing leaves them; thousands through the real flow would only be slower.
        Signature.objects.bulk_create(
            Signature(letter=letter, tier="counted", mailbox_hash=f"{letter.pk}-{i}",
                      receipt_commitment=f"{letter.pk}-{i}", updates_language=["en", "de"][i % 2],
                      updates_address=encrypt_address(f"s{i}@example.org"))
            for i in range(subscribers)
        )  # fmt: skip
        with CaptureQueriesContext(connection) as sending:
            update = update_send(letter=letter, user=make_organizer(), texts=texts(en=EN, de=DE))
        assert (update.recipients, OutboxMessage.objects.count()) == (0, 0)
        with CaptureQueriesContext(connection) as fanning:
            assert update_fanout(update_id=update.pk) == subscribers
        OutboxMessage.objects.all().delete()
        return len(sending.captured_queries), len(fanning.captured_queries)

    small, large = queries_for(3), queries_for(450)
    # Writing the update does not look at subscribers one by one at all. SQLite takes at most
    # 90 outbox rows per INSERT, so 450 need 4 more; one query per subscriber would add 447.
    assert large[0] == small[0]
    assert large[1] - small[1] <= 4


def test_update_fan_out_goes_in_batches_and_resumes_where_it_stopped() -> None:
    letter = letter_in("en")
    for n in range(5):
        subscribe(letter, f"s{n}@example.org")
    update = update_send(letter=letter, user=make_organizer(), texts=texts(en=EN))
    assert [update_fanout(update_id=update.pk, batch=2) for _ in range(4)] == [2, 2, 1, 0]
    update.refresh_from_db()
    assert (update.done, update.recipients, len(queued())) == (True, 5, 5)


def test_update_fan_out_skips_people_who_signed_after_it_was_written() -> None:
    letter = letter_in("en")
    subscribe(letter, "early@example.org")
    update = update_send(letter=letter, user=make_organizer(), texts=texts(en=EN))
    subscribe(letter, "late@example.org")  # drops the outbox, as its verification mail is noise
    update_fanout(update_id=update.pk)
    assert sorted(queued()) == ["early@example.org"]
