from __future__ import annotations

import re
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.common.text import clean_text


def refusal(value: str, **options: object) -> str:
    with pytest.raises(ValidationError) as caught:
        clean_text(value, field="name", max_length=20, **options)  # type: ignore[arg-type]
    return str(caught.value.code)


def test_clean_text_strips_surrounding_space() -> None:
    assert clean_text("  Ada Lovelace \n", field="name", max_length=20) == "Ada Lovelace"


def test_clean_text_normalizes_to_nfc() -> None:
    decomposed = "Jose\u0301"
    assert clean_text(decomposed, field="name", max_length=20) == "Jos\u00e9"


def test_clean_text_multiline_normalizes_line_endings() -> None:
    value = clean_text("one\r\ntwo\rthree", field="body", max_length=50, multiline=True)
    assert value == "one\ntwo\nthree"


@pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066"])
def test_clean_text_refuses_bidi_controls(control: str) -> None:
    assert refusal(f"Ada{control}evil") == "bidi"


def test_clean_text_bidi_refusal_message_is_readable() -> None:
    with pytest.raises(ValidationError) as caught:
        clean_text("a\u202eb", field="title", max_length=20)
    assert caught.value.messages == [
        "The title contains invisible direction-changing characters. Please remove them."
    ]


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u061c"])
def test_clean_text_keeps_direction_marks(mark: str) -> None:
    assert clean_text(f"نص{mark}abc", field="name", max_length=20) == f"نص{mark}abc"


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"])
def test_clean_text_refuses_control_characters(control: str) -> None:
    assert refusal(f"Ada{control}") == "control"


def test_clean_text_refuses_newline_in_single_line_field() -> None:
    assert refusal("Ada\nLovelace") == "multiline"


def test_clean_text_tab_is_allowed() -> None:
    assert clean_text("a\tb", field="name", max_length=20) == "a\tb"


def test_clean_text_refuses_too_long_after_stripping() -> None:
    assert clean_text(" " * 50 + "x" * 20, field="name", max_length=20) == "x" * 20
    assert refusal("x" * 21) == "too_long"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.booleans())
def test_clean_text_any_input_is_cleaned_or_refused(value: str, multiline: bool) -> None:
    refused, cleaned = None, ""
    try:
        cleaned = clean_text(value, field="name", max_length=40, multiline=multiline)
    except ValidationError as error:
        refused = error.code
    assert refused in {None, "bidi", "control", "multiline", "too_long"}
    assert re.findall("[\u202a-\u202e\u2066-\u2069\x00-\x08\x7f]", cleaned) == []
    assert unicodedata.normalize("NFC", cleaned) == cleaned
    assert len(cleaned) <= 40
