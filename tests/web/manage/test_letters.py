"""The organizer dashboard through HTTP: creating and editing letters, and opening them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.signing.helpers import sign
from tests.support.factories import make_addendum, make_letter, make_organizer
from tests.support.pdf import minimal_pdf
from undersigned.accounts.models import Invitation, Membership, Role, User
from undersigned.campaign import letters as services
from undersigned.letters.models import Addendum, Demand, DemandText, Letter, LetterText
from undersigned.letters.states import State
from undersigned.mail.models import OutboxMessage

pytestmark = pytest.mark.django_db

LETTER_FORM = {
    "slug": "pause-the-cluster",
    "default_language": "en",
    "title": "Pause the cluster",
    "body": "We ask **leadership** to pause it.",
    "recipient_name": "The CEO",
    "recipient_email": "ceo@example.org",
    "domains": "example.org\ncorp.example.org, example.org",
    "goal": "300",
    "opens_at": "",
    "deadline": "2031-05-01T12:00",
    "deliver_at": "",
}


@pytest.fixture
def owner(client: Client) -> User:
    user = make_organizer()
    client.force_login(user)
    return user


@pytest.fixture
def letter(owner: User) -> Letter:
    return make_letter("draft-letter", state=State.DRAFT, owner=owner)


def _url(name: str, letter: Letter, **kwargs: Any) -> str:
    return reverse(f"manage:{name}", kwargs={"slug": letter.slug, **kwargs})


def _messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_home_lists_letters_with_role_and_state(client: Client, owner: User) -> None:
    make_letter("mine", state=State.DRAFT, owner=owner, title="My letter")
    shared = make_letter("shared", title="Shared letter")
    Membership.objects.create(user=owner, letter=shared, role=Role.VIEWER)
    make_letter("not-mine", title="Not mine")

    response = client.get(reverse("manage:home"))

    rows = [
        (m.title, m.letter.get_state_display(), m.role) for m in response.context["memberships"]
    ]
    assert sorted(rows) == [
        ("My letter", "Draft", Role.OWNER),
        ("Shared letter", "Open for signatures", Role.VIEWER),
    ]


def test_letter_create_makes_draft_and_owner(client: Client, owner: User) -> None:
    response = client.post(reverse("manage:letter_create"), LETTER_FORM)

    letter = Letter.objects.get()
    assert response["Location"] == f"/manage/letters/{letter.slug}/"
    assert (letter.slug, letter.state, letter.domains, letter.goal) == (
        "pause-the-cluster",
        State.DRAFT,
        ["example.org", "corp.example.org"],
        300,
    )
    assert letter.deadline == datetime(2031, 5, 1, 12, 0, tzinfo=UTC)
    assert Membership.objects.get(letter=letter).user == owner


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("a", "The address must be 3 to 64 characters"),
        ("Not-Lower", "The address must be 3 to 64 characters"),
        ("admin", "“admin” is reserved by the site."),
    ],
)
def test_letter_create_invalid_slug_shown_on_form(
    client: Client, owner: User, slug: str, message: str
) -> None:
    response = client.post(reverse("manage:letter_create"), {**LETTER_FORM, "slug": slug})

    assert response.status_code == 200
    assert response.context["form"].errors["slug"][0].startswith(message)
    assert Letter.objects.count() == 0


def test_letter_create_bidi_override_rejected_with_clear_message(
    client: Client, owner: User
) -> None:
    response = client.post(
        reverse("manage:letter_create"), {**LETTER_FORM, "title": "Pause \u202enow\u202c"}
    )

    assert response.context["form"].errors["title"] == [
        "The title contains invisible direction-changing characters. Please remove them."
    ]
    assert "invisible direction-changing characters" in response.content.decode()
    assert Letter.objects.count() == 0


def test_letter_create_body_over_limit_shown_on_form(client: Client, owner: User) -> None:
    response = client.post(reverse("manage:letter_create"), {**LETTER_FORM, "body": "x" * 50_001})

    assert response.context["form"].errors["body"] == [
        "The text is too long (50001 characters; the limit is 50000)."
    ]
    assert Letter.objects.count() == 0


def test_letter_create_long_arabic_body_accepted_as_multipart(client: Client, owner: User) -> None:
    body = "ب" * 50_000  # 100 KB of UTF-8; URL-encoded it would be 300 KB, over the body limit

    client.post(reverse("manage:letter_create"), {**LETTER_FORM, "body": body})

    assert LetterText.objects.get().body == body


def test_letter_detail_hostile_markdown_escaped(client: Client, owner: User) -> None:
    hostile = '<script>alert("x")</script> [a](javascript:alert(1)) <img src=x onerror=alert(1)>'
    letter = make_letter("hostile", state=State.DRAFT, owner=owner, body=hostile, title="<b>T</b>")

    page = client.get(_url("letter", letter)).content.decode()

    assert LetterText.objects.get(letter=letter).body == hostile
    assert (page.count("<script>alert"), page.count("<img src=x"), page.count("<b>T</b>")) == (
        0,
        0,
        0,
    )
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 1


def test_letter_edit_saves_settings_and_text(client: Client, letter: Letter) -> None:
    form = {k: v for k, v in LETTER_FORM.items() if k not in {"slug", "default_language"}}

    response = client.post(_url("letter_edit", letter), {**form, "title": "Renamed"})

    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.goal, LetterText.objects.get(letter=letter).title) == (300, "Renamed")


def test_letter_edit_form_shows_current_values(client: Client, letter: Letter) -> None:
    Letter.objects.filter(pk=letter.pk).update(domains=["example.org", "corp.example.org"])

    form = client.get(_url("letter_edit", letter)).context["form"]

    assert (form["title"].value(), form["domains"].value()) == (
        "Cancel the contract",
        "example.org\ncorp.example.org",
    )


def test_text_edit_adds_arabic_translation_with_demands(client: Client, letter: Letter) -> None:
    first, second = Demand.objects.filter(letter=letter)
    url = _url("text_edit", letter) + "?language=ar"

    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "title": "أوقفوا العقد",
            "body": "نحن الموقعين أدناه",
            f"demand_{first.pk}": "المطلب الأول",
            f"demand_{second.pk}": "",
        },
    )

    assert 'lang="ar" dir="rtl"' in page
    assert response.status_code == 302
    assert LetterText.objects.get(letter=letter, language="ar").title == "أوقفوا العقد"
    assert list(DemandText.objects.filter(language="ar").values_list("text", flat=True)) == [
        "المطلب الأول"
    ]


def test_text_edit_unknown_language_404(client: Client, letter: Letter) -> None:
    assert client.get(_url("text_edit", letter) + "?language=xx").status_code == 404


def test_text_remove_removes_translation(client: Client, owner: User) -> None:
    letter = make_letter("bilingual", state=State.DRAFT, owner=owner, arabic=True)

    response = client.post(_url("text_remove", letter), {"language": "ar"}, follow=True)

    assert _messages(response) == ["The translation is removed."]
    assert list(letter.texts.values_list("language", flat=True)) == ["en"]


def test_demand_add_edit_move_remove(client: Client, letter: Letter) -> None:
    client.post(_url("demand_add", letter), {"text_en": "Publish the budget"})
    demands = list(Demand.objects.filter(letter=letter))
    newest = demands[-1]
    client.post(_url("demand_edit", letter, demand_id=newest.pk), {"text_en": "Publish it all"})
    client.post(_url("demand_move", letter, demand_id=newest.pk), {"direction": "up"})
    client.post(_url("demand_remove", letter, demand_id=demands[0].pk))

    texts = [d.texts.get().text for d in Demand.objects.filter(letter=letter)]
    assert texts == ["Publish it all", "Publish what we sell"]


def test_demand_add_empty_text_shown_on_form(client: Client, letter: Letter) -> None:
    response = client.post(_url("demand_add", letter), {"text_en": " "})

    assert response.context["form"].errors == {
        "text_en": ["A demand needs its text in the letter's language."]
    }
    assert Demand.objects.filter(letter=letter).count() == 2


def test_addendum_add_pdf_upload_stored_with_hash(client: Client, letter: Letter) -> None:
    pdf = minimal_pdf()
    upload = SimpleUploadedFile("budget.pdf", pdf, content_type="application/pdf")

    response = client.post(
        _url("addendum_add", letter),
        {"title": "Budget", "language": "en", "kind": "pdf", "upload": upload},
        follow=True,
    )

    addendum = Addendum.objects.get()
    assert (bytes(addendum.content), addendum.kind) == (pdf, "pdf")
    assert _messages(response) == ["The addendum is added."]
    assert response.content.decode().count(addendum.sha256) == 1


def test_addendum_add_non_pdf_uploaded_as_pdf_rejected_nothing_stored(
    client: Client, letter: Letter
) -> None:
    fake = SimpleUploadedFile(
        "budget.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )

    response = client.post(
        _url("addendum_add", letter),
        {"title": "Budget", "language": "en", "kind": "pdf", "upload": fake},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"upload": ["This file is not a PDF document."]}
    assert Addendum.objects.count() == 0


def test_addendum_add_markdown_translation(client: Client, letter: Letter) -> None:
    original = make_addendum(letter, title="Notes")

    client.post(
        _url("addendum_add", letter),
        {
            "title": "ملاحظات",
            "language": "ar",
            "kind": "markdown",
            "markdown": "نص",
            "translation_of": str(original.pk),
        },
    )

    assert Addendum.objects.get(language="ar").translation_of == original


def test_addendum_remove(client: Client, letter: Letter) -> None:
    addendum = make_addendum(letter)

    client.post(_url("addendum_remove", letter, addendum_id=addendum.pk))

    assert Addendum.objects.count() == 0


def test_member_invite_sends_invitation(client: Client, letter: Letter) -> None:
    response = client.post(
        _url("member_invite", letter), {"email": "Ben@Example.org", "role": "viewer"}, follow=True
    )

    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.letter) == (
        "ben@example.org",
        Role.VIEWER,
        letter,
    )
    assert _messages(response) == ["The invitation is on its way."]
    assert OutboxMessage.objects.get().recipients == ["ben@example.org"]


def test_transition_open_then_close(client: Client, letter: Letter) -> None:
    opened = client.post(_url("letter_transition", letter), {"target": "open"}, follow=True)
    letter.refresh_from_db()
    state_after_open = letter.state
    closed = client.post(_url("letter_transition", letter), {"target": "closed"}, follow=True)

    letter.refresh_from_db()
    assert (state_after_open, letter.state) == (State.OPEN, State.CLOSED)
    assert _messages(opened) == ["The letter is now open for signatures."]
    assert _messages(closed) == ["The letter is now closed."]


def test_transition_incomplete_letter_refused_with_message(client: Client, owner: User) -> None:
    letter = make_letter("bare", state=State.DRAFT, owner=owner, domains=[])

    response = client.post(_url("letter_transition", letter), {"target": "open"}, follow=True)

    letter.refresh_from_db()
    assert letter.state == State.DRAFT
    assert _messages(response) == ["Before opening, the letter needs at least one domain."]


def test_closed_letter_shows_no_edit_controls(client: Client, owner: User) -> None:
    letter = make_letter("done", state=State.CLOSED, owner=owner)

    page = client.get(_url("letter", letter)).content.decode()

    assert page.count("/edit/") == 0
    assert page.count("its content can no longer be changed") == 1


def _signed_open(owner: User) -> Letter:
    letter = make_letter(state=State.DRAFT, owner=owner)
    letter = services.letter_transition(letter=letter, target=State.OPEN, user=owner)
    sign(letter, "ana@example.org")
    return letter


def test_demand_remove_on_a_signed_letter_needs_a_note(client: Client, owner: User) -> None:
    letter = _signed_open(owner)
    page = client.get(_url("letter", letter)).content.decode()
    # Two demands: each has one move button and a remove button (no translation to remove).
    assert page.count('name="note"') == 4
    demand = Demand.objects.filter(letter=letter).first()
    assert demand is not None
    response = client.post(_url("demand_remove", letter, demand_id=demand.pk), follow=True)
    assert _messages(response) == [
        "People have signed this letter, so a change to its text is an amendment: say in a "
        "sentence what changes and why. Signers will see it."
    ]
    assert Demand.objects.filter(letter=letter).count() == 2
    response = client.post(
        _url("demand_remove", letter, demand_id=demand.pk), {"note": "Met already."}, follow=True
    )
    assert _messages(response) == ["The demand is removed."]
    letter.refresh_from_db()
    assert (letter.version, Demand.objects.filter(letter=letter).count()) == (2, 1)


def test_text_edit_on_a_signed_letter_shows_the_note_error(client: Client, owner: User) -> None:
    letter = _signed_open(owner)
    form = {"title": "Cancel the contract", "body": "New text."}
    response = client.post(_url("text_edit", letter) + "?language=en", form)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "note": [
            "People have signed this letter, so a change to its text is an amendment: say in a "
            "sentence what changes and why. Signers will see it."
        ]
    }
    form["note"] = "bad \u202e note"
    response = client.post(_url("text_edit", letter) + "?language=en", form)
    assert response.context["form"].errors == {
        "note": ["The note contains invisible direction-changing characters. Please remove them."]
    }
    assert Letter.objects.get(pk=letter.pk).version == 1
