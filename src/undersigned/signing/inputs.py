"""Checks shared by the web forms and the API, so both refuse the same input the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from undersigned.common.text import clean_text
from undersigned.letters.models import LANGUAGES
from undersigned.signing import tiers
from undersigned.signing.codes import CODE_DIGITS

FIELD_MAX_LENGTH = 120
_LABELS = {"name": "name", "title": "title", "department": "department", "location": "location"}
_CODE = re.compile(rf"\d{{{CODE_DIGITS}}}")
_RECEIPT = re.compile(r"[A-Za-z0-9_-]{20,100}")


@dataclass(frozen=True)
class SignerDetails:
    """What a signer asked to be stored, already reduced to what their tier keeps."""

    tier: str
    name: str = ""
    title: str = ""
    department: str = ""
    location: str = ""

    def fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in tiers.FIELDS}


def clean_tier(value: str) -> str:
    if value not in tiers.RULES:
        raise ValidationError("Choose how you want to sign: public, recipient or counted.")
    if not tiers.rule(value).selectable:
        raise ValidationError("This way of signing is not available yet.")
    return value


def clean_signer(*, tier: str, fields: dict[str, str | None]) -> SignerDetails:
    """Validate every field (even ones the tier will drop), then keep what the tier stores."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    try:
        tier = clean_tier(tier)
    except ValidationError as exc:
        errors["tier"] = exc.messages
    for name, label in _LABELS.items():
        try:
            cleaned[name] = clean_text(
                fields.get(name) or "", field=label, max_length=FIELD_MAX_LENGTH
            )
        except ValidationError as exc:
            errors[name] = exc.messages
    if "tier" not in errors and tiers.rule(tier).requires_name and not cleaned.get("name"):
        errors.setdefault("name", []).append("Enter your name: this way of signing shows it.")
    if errors:
        raise ValidationError(errors)
    return SignerDetails(tier=tier, **tiers.stored_fields(tier, cleaned))


def clean_code(value: str) -> str:
    compact = "".join(value.split()).replace("-", "")
    if not _CODE.fullmatch(compact):
        raise ValidationError(f"The code is the {CODE_DIGITS} digits from the message we sent.")
    return compact


def clean_receipt_secret(value: str) -> str:
    compact = value.strip()
    if not _RECEIPT.fullmatch(compact):
        raise ValidationError("This is not a receipt from this site. Copy it exactly as shown.")
    return compact


def clean_language(value: str | None, *, default: str) -> str:
    return value if value in LANGUAGES else default
