"""Hostile and oversized input to the dashboard: clear 4xx pages, never a 500, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.signing.helpers import sign
from tests.support.factories import make_letter, make_organizer
from tests.support.pdf import minimal_pdf
from undersigned.accounts.models import User
from undersigned.campaign import letters as services
from undersigned.letters.models import Addendum, Letter, LetterText, LetterVersion
from undersigned.letters.states import State

pytestmark = pytest.mark.django_db

TOO_LARGE = "What you sent is too large. Please shorten it and try again."


@pytest.fixture
def owner(client: Client) -> User:
    user = make_organizer()
    client.force_login(user)
    return user


@pytest.fixture
def letter(owner: User) -> Letter:
    return make_letter("draft-letter", state=State.DRAFT, owner=owner)


def test_body_over_upload_limit_urlencoded_400_clear_page(client: Client, owner: User) -> None:
    response = client.post(
        reverse("manage:letter_create"),
        "slug=big&body=" + "x" * (300 * 1024),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert response.context["message"] == TOO_LARGE
    assert response.content.decode().count(TOO_LARGE) == 1
    assert Letter.objects.count() == 0


def test_body_over_upload_limit_multipart_400_clear_page(client: Client, letter: Letter) -> None:
    response = client.post(
        reverse("manage:text_edit", kwargs={"slug": letter.slug}) + "?language=de",
        {"title": "Titel", "body": "x" * (300 * 1024)},
    )

    assert (response.status_code, response.context["message"]) == (400, TOO_LARGE)
    assert LetterText.objects.filter(language="de").count() == 0


def test_too_many_fields_400_clear_page(client: Client, owner: User) -> None:
    fields = {f"f{i}": "x" for i in range(300)}

    response = client.post(reverse("manage:letter_create"), fields)

    assert (response.status_code, response.context["message"]) == (400, TOO_LARGE)


def test_upload_content_length_over_limit_413_before_reading(
    client: Client, letter: Letter, settings: Any
) -> None:
    settings.ADDENDUM_MAX_BYTES = 1024 * 1024
    response = client.generic(
        "POST",
        reverse("manage:addendum_add", kwargs={"slug": letter.slug}),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(2 * 1024 * 1024),
    )

    assert (response.status_code, response.context["message"]) == (
        413,
        "The file is too large; the limit is 1 MB.",
    )


def test_upload_just_over_file_limit_refused_on_form(
    client: Client, letter: Letter, settings: Any
) -> None:
    settings.ADDENDUM_MAX_BYTES = 1024 * 1024
    padded = minimal_pdf()[:-6] + b" " * (1024 * 1024) + b"%%EOF\n"

    response = client.post(
        reverse("manage:addendum_add", kwargs={"slug": letter.slug}),
        {
            "title": "Big",
            "language": "en",
            "kind": "pdf",
            "upload": SimpleUploadedFile("big.pdf", padded, content_type="application/pdf"),
        },
    )

    assert response.context["form"].errors == {
        "upload": ["The file is too large; the limit is 1 MB."]
    }
    assert Addendum.objects.count() == 0


def test_invalid_utf8_in_form_never_500(client: Client, owner: User) -> None:
    response = client.post(
        reverse("manage:letter_create"),
        b"slug=abc&title=%FF%FE&domains=example.org&goal=5",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200  # the form again: Django decodes with replacement


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=st.text(max_size=300),
    domains=st.text(max_size=300),
    goal=st.text(max_size=30),
    deadline=st.text(max_size=30),
)
def test_letter_create_any_text_never_500(
    client: Client, owner: User, title: str, domains: str, goal: str, deadline: str
) -> None:
    response = client.post(
        reverse("manage:letter_create"),
        {"slug": "any-letter", "title": title, "domains": domains, "goal": goal,
         "deadline": deadline, "default_language": "en"},
    )  # fmt: skip

    assert response.status_code in {200, 302}
    Letter.objects.all().delete()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(max_size=300), note=st.text(max_size=600))
def test_amending_a_signed_letter_with_any_text_never_500_and_versions_only_when_saved(
    client: Client, owner: User, body: str, note: str
) -> None:
    letter = make_letter(state=State.DRAFT, owner=owner)
    letter = services.letter_transition(letter=letter, target=State.OPEN, user=owner)
    sign(letter, "ana@example.org")
    response = client.post(
        reverse("manage:text_edit", kwargs={"slug": letter.slug}) + "?language=en",
        {"title": "Cancel the contract", "body": body, "note": note},
    )
    assert response.status_code in {200, 302}
    letter.refresh_from_db()
    saved = response.status_code == 302
    stored = LetterText.objects.get(letter=letter, language="en").body
    assert (letter.version, LetterVersion.objects.filter(letter=letter).count()) == (
        (2, 2) if saved and stored != "We, the undersigned, ask **leadership** to act." else (1, 1)
    )
    Letter.objects.all().delete()
