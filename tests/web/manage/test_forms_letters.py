"""Dashboard forms parse input; they mark text with its language and direction."""

from __future__ import annotations

import pytest

from tests.support.factories import make_letter
from undersigned.letters.states import State
from undersigned.web.manage.dashboard import managed_letter
from undersigned.web.manage.forms_letters import DemandForm, DomainsField, LetterForm, TextForm


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.org", ["example.org"]),
        ("a.org, b.org;\n c.org\r\n\td.org", ["a.org", "b.org", "c.org", "d.org"]),
        ("  ", []),
    ],
)
def test_domains_field_splits_on_commas_semicolons_and_whitespace(
    raw: str, expected: list[str]
) -> None:
    assert DomainsField().to_python(raw) == expected


def test_letter_form_marks_arabic_text_rtl() -> None:
    form = LetterForm(language="ar")

    assert (form["body"].field.widget.attrs["dir"], form["title"].field.widget.attrs["lang"]) == (
        "rtl",
        "ar",
    )


def test_letter_form_without_language_lets_browser_decide_direction() -> None:
    assert LetterForm()["title"].field.widget.attrs["dir"] == "auto"


@pytest.mark.django_db
def test_text_form_has_demand_fields_with_originals() -> None:
    letter = make_letter(state=State.DRAFT, arabic=True)
    demands = managed_letter(letter=letter).demands

    form = TextForm(
        {"title": "T", "body": "B", f"demand_{demands[0].demand.pk}": " ترجمة "},
        demands=demands,
        language="ar",
        original="en",
    )

    assert form.is_valid()
    assert form.demand_texts() == {demands[0].demand.pk: "ترجمة", demands[1].demand.pk: ""}
    assert form.fields[f"demand_{demands[0].demand.pk}"].help_text == (
        "Original: Cancel all active offers"
    )
    assert form.fields[f"demand_{demands[0].demand.pk}"].initial == "مطلب 1"


def test_demand_form_one_field_per_language() -> None:
    form = DemandForm({"text_en": "Cancel", "text_ar": ""}, languages=["en", "ar"])

    assert form.is_valid()
    assert form.texts() == {"en": "Cancel", "ar": ""}
    attrs = form["text_ar"].field.widget.attrs
    assert (attrs["lang"], attrs["dir"]) == ("ar", "rtl")
