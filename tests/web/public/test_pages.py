from __future__ import annotations

import pytest
from django.http import Http404

from tests.support.factories import make_addendum, make_letter, set_counts
from undersigned.letters.models import LetterText
from undersigned.letters.presentation import choose_language
from undersigned.letters.states import State
from undersigned.web.public.pages import (
    addendum_filename,
    letter_document,
    letter_page,
    public_addendum,
    public_letter_list,
)

AVAILABLE = ["en", "ar", "de"]


def choose(requested: str | None = None, accept: str = "") -> str:
    return choose_language(
        available=AVAILABLE, requested=requested, accept_language=accept, default="en"
    )


def test_choose_language_query_wins_over_accept_language() -> None:
    assert choose("de", "ar") == "de"


def test_choose_language_unknown_query_falls_back_to_accept_language() -> None:
    assert choose("fr", "ar") == "ar"


def test_choose_language_region_matches_primary_language() -> None:
    assert choose(None, "ar-EG,en;q=0.5") == "ar"


def test_choose_language_highest_quality_first() -> None:
    assert choose(None, "en;q=0.3, de;q=0.9, ar;q=0.5") == "de"


def test_choose_language_equal_quality_keeps_header_order() -> None:
    assert choose(None, "fr, de, ar") == "de"


def test_choose_language_no_match_gives_default() -> None:
    assert choose(None, "fr-CA, ja") == "en"


@pytest.mark.parametrize(
    "header",
    [
        "ar;q=0",
        "ar;q=abc",
        "ar;q=2",
        "ar;x=1",
        "*",
        ";;;,,,",
        "a" * 5000,
        "ar\u202e",
        "\x00ar",
        "de;q=nan",
    ],
)
def test_choose_language_malformed_accept_language_gives_default(header: str) -> None:
    assert choose(None, header) == "en"


def test_choose_language_too_many_entries_are_ignored() -> None:
    assert choose(None, "fr," * 40 + "ar") == "en"


@pytest.mark.django_db
def test_public_letter_list_shows_public_states_open_first() -> None:
    closed = make_letter("closed-one", state=State.CLOSED, title="Closed one")
    make_letter("draft-one", state=State.DRAFT)
    make_letter("archived-one", state=State.ARCHIVED)
    delivered = make_letter("delivered-one", state=State.DELIVERED)
    opened = make_letter("open-one", title="Open one")
    set_counts(opened, public=2, anonymous=5)
    listings = public_letter_list()
    assert [item.slug for item in listings] == [opened.slug, closed.slug, delivered.slug]
    assert (listings[0].title, listings[0].total, listings[0].state_label) == (
        "Open one",
        7,
        "Open for signatures",
    )


@pytest.mark.django_db
def test_public_letter_list_title_in_default_language() -> None:
    letter = make_letter("arabic-first", arabic=True, default_language="ar")
    assert [(item.title, item.direction) for item in public_letter_list()] == [
        ("ألغوا العقد", "rtl")
    ]
    assert letter.default_language == "ar"


@pytest.mark.django_db
def test_letter_page_default_language_without_preferences() -> None:
    letter = make_letter(arabic=True, title="Cancel it")
    page = letter_page(letter=letter, requested=None, accept_language="")
    assert (page.language, page.direction, page.title) == ("en", "ltr", "Cancel it")
    assert [(link.code, link.current) for link in page.languages] == [("en", True), ("ar", False)]


@pytest.mark.django_db
def test_letter_page_arabic_is_right_to_left() -> None:
    letter = make_letter(arabic=True)
    page = letter_page(letter=letter, requested="ar", accept_language="")
    assert (page.language, page.direction, page.title) == ("ar", "rtl", "ألغوا العقد")
    assert [demand.text for demand in page.demands] == ["مطلب 1", "مطلب 2"]
    assert page.path == f"/l/{letter.slug}/?lang=ar"


@pytest.mark.django_db
def test_letter_page_untranslated_demand_falls_back_to_default_language() -> None:
    letter = make_letter(demands=("Stop it",))
    LetterText.objects.create(letter=letter, language="de", title="Titel", body="Text")
    page = letter_page(letter=letter, requested="de", accept_language="")
    assert [(d.text, d.language) for d in page.demands] == [("Stop it", "en")]


@pytest.mark.django_db
def test_letter_page_body_rendered_and_summarized() -> None:
    letter = make_letter(body="We ask **leadership**.\n\nMore.")
    page = letter_page(letter=letter, requested=None, accept_language="")
    assert (page.body_html, page.summary) == (
        "<p>We ask <strong>leadership</strong>.</p>\n<p>More.</p>",
        "We ask leadership.",
    )


@pytest.mark.django_db
def test_letter_page_counts_and_progress_capped_at_goal() -> None:
    letter = make_letter(goal=10)
    set_counts(letter, public=4, recipient=3, counted=2, anonymous=6)
    page = letter_page(letter=letter, requested=None, accept_language="")
    assert (page.counts.total, page.progress) == (15, 10)
    assert page.tiers == [
        ("Public", 4),
        ("Recipient only", 3),
        ("Counted only", 2),
        ("Anonymous", 6),
    ]


@pytest.mark.django_db
def test_letter_page_addendum_translation_replaces_title_in_that_language() -> None:
    letter = make_letter(arabic=True)
    original = make_addendum(letter, title="Contract summary")
    translated = make_addendum(
        letter, title="ملخص العقد", language="ar", translation_of=original, content=b"# ar\n"
    )
    untranslated = make_addendum(letter, title="Budget", kind="pdf", content=b"%PDF-1.4\n")
    arabic = letter_page(letter=letter, requested="ar", accept_language="")
    english = letter_page(letter=letter, requested="en", accept_language="")
    assert [(item.shown.id, getattr(item.original, "id", None)) for item in arabic.addenda] == [
        (translated.pk, original.pk),
        (untranslated.pk, None),
    ]
    assert [(item.shown.id, item.original) for item in english.addenda] == [
        (original.pk, None),
        (untranslated.pk, None),
    ]


@pytest.mark.django_db
def test_letter_page_without_any_text_is_404() -> None:
    letter = make_letter()
    letter.texts.all().delete()
    with pytest.raises(Http404):
        letter_page(letter=letter, requested=None, accept_language="")


@pytest.mark.django_db
def test_letter_document_every_language_default_first() -> None:
    letter = make_letter(arabic=True, default_language="ar")
    document = letter_document(letter=letter)
    assert document.languages == ["ar", "en"]
    assert [position for position, _ in document.demands] == [0, 1]
    assert document.demands[0][1] == {"en": "Cancel all active offers", "ar": "مطلب 1"}


@pytest.mark.django_db
def test_public_addendum_of_another_letter_is_404() -> None:
    letter, other = make_letter(), make_letter()
    addendum = make_addendum(other)
    with pytest.raises(Http404):
        public_addendum(letter=letter, addendum_id=addendum.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("addendum_id", [0, -1, 2**63, 10**30])
def test_public_addendum_out_of_range_id_is_404(addendum_id: int) -> None:
    with pytest.raises(Http404):
        public_addendum(letter=make_letter(), addendum_id=addendum_id)


@pytest.mark.parametrize(
    ("title", "kind", "expected"),
    [
        ("Contract summary", "markdown", "contract-summary.md"),
        ("Budget 2025 (final)", "pdf", "budget-2025-final.pdf"),
        ("ملخص العقد", "pdf", "addendum-7.pdf"),
        ("../../etc/passwd", "markdown", "etcpasswd.md"),
    ],
)
def test_addendum_filename_is_safe_ascii(title: str, kind: str, expected: str) -> None:
    assert addendum_filename(addendum_id=7, title=title, kind=kind) == expected
