"""The rules behind letter input: domains, slugs, and PDF files judged by their content."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from tests.support.pdf import minimal_pdf
from undersigned.letters.validation import addendum_content_clean, domain_normalize, slug_clean


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Example.ORG", "example.org"),
        (" example.org. ", "example.org"),
        ("Bücher.Example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("mail.xn--mgbh0fb.xn--kgbechtv", "mail.xn--mgbh0fb.xn--kgbechtv"),
    ],
)
def test_domain_normalize_valid_names(value: str, expected: str) -> None:
    assert domain_normalize(value) == expected


@given(st.text(max_size=300))
def test_domain_normalize_any_text_valid_or_validation_error(value: str) -> None:
    try:
        result = domain_normalize(value)
    except ValidationError:
        return
    assert result == domain_normalize(result)  # a stored domain normalizes to itself


@given(st.text(max_size=100))
def test_slug_clean_any_text_valid_or_validation_error(value: str) -> None:
    try:
        result = slug_clean(value)
    except ValidationError:
        return
    assert (result, 3 <= len(result) <= 64) == (value.strip(), True)


def test_addendum_content_clean_pdf_from_bytes_accepted() -> None:
    pdf = minimal_pdf()

    assert addendum_content_clean("pdf", None, pdf) == pdf


@pytest.mark.parametrize(
    ("kind", "markdown", "upload", "field"),
    [
        ("markdown", "", None, "markdown"),
        ("markdown", "text", b"%PDF-1.4 %%EOF", "upload"),
        ("pdf", "text", None, "markdown"),
        ("pdf", None, None, "upload"),
        ("exe", None, None, "kind"),
    ],
)
def test_addendum_content_clean_mismatched_input_refused(
    kind: str, markdown: str | None, upload: bytes | None, field: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        addendum_content_clean(kind, markdown, upload)

    assert list(excinfo.value.message_dict) == [field]
