"""The receipt a signer pastes on the log page: the JSON shown at confirmation, or its secret."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from undersigned.common.text import clean_text

MAX_RECEIPT = 20_000
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{16,200}")


@dataclass(frozen=True)
class PastedReceipt:
    entry: str | None
    leaf_hash: str
    secret: str


def _string(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"The receipt's {key!r} must be text.")
    return value


def parse_receipt(text: str) -> PastedReceipt:
    """The whole JSON receipt, or only the receipt secret; anything else is refused."""
    if _SECRET.fullmatch(text):
        return PastedReceipt(None, "", text)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationError(
            "This is not a receipt. Paste the whole receipt, from { to }, or only its secret."
        ) from exc
    if not isinstance(data, dict):
        raise ValidationError("This is not a receipt: it should be a JSON object, from { to }.")
    entry, leaf, secret = (_string(data, k) for k in ("entry", "leaf_hash", "receipt_secret"))
    if leaf and not _HEX64.fullmatch(leaf):
        raise ValidationError("The receipt's leaf hash should be 64 hexadecimal digits.")
    if secret and not _SECRET.fullmatch(secret):
        raise ValidationError("The receipt secret is not one this site hands out.")
    if not entry and not secret:
        raise ValidationError("The receipt has neither an entry nor a receipt secret.")
    return PastedReceipt(entry or None, leaf, secret)


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label="Your receipt",
        help_text="The receipt shown when you confirmed your signature (or only its secret).",
        max_length=MAX_RECEIPT,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
    )

    def clean_receipt(self) -> PastedReceipt:
        text = clean_text(
            self.cleaned_data["receipt"], field="receipt", max_length=MAX_RECEIPT, multiline=True
        )
        return parse_receipt(text)
