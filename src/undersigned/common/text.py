"""Validation of every piece of text a person or client sends us.

Bidi embedding/override/isolate controls let a name or a demand display as something other than
what it is (a "Trojan Source" style trick), so they are refused everywhere. The marks LRM, RLM
and ALM stay allowed: Arabic and Hebrew text legitimately needs them.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# C0/C1 controls except tab and newlines; also lone surrogates, which cannot be stored as UTF-8.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str, *, field: str, max_length: int, multiline: bool = False) -> str:
    """Normalize to NFC and refuse what a person could not have meant to type."""
    if _BIDI_CONTROLS.search(value):
        raise ValidationError(
            f"The {field} contains invisible direction-changing characters. Please remove them.",
            code="bidi",
        )
    if _CONTROL.search(value):
        raise ValidationError(f"The {field} contains control characters.", code="control")
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline and "\n" in value.strip():
        raise ValidationError(f"The {field} must be a single line.", code="multiline")
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(
            f"The {field} is too long ({len(value)} characters; the limit is {max_length}).",
            code="too_long",
        )
    return value
