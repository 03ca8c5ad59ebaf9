"""Checks shared by the web forms and the API, so both refuse the same input the same way."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from undersigned.common.text import clean_text
from undersigned.letters.models import LANGUAGES
from undersigned.signing import tiers
from undersigned.signing.codes import CODE_DIGITS
from undersigned.signing.models import Tier

FIELD_MAX_LENGTH = 120
VERSION_MAX = 1_000_000
_LABELS = {"name": "name", "title": "title", "department": "department", "location": "location"}
_CODE = re.compile(rf"\d{{{CODE_DIGITS}}}")
_RECEIPT = re.compile(r"[A-Za-z0-9_-]{20,100}")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+")


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

    @classmethod
    def stored_in(cls, row: Any) -> SignerDetails:
        """The details a verification or signature row holds (already cleaned when stored)."""
        return cls(tier=row.tier, **{name: getattr(row, name) for name in tiers.FIELDS})


def clean_tier(value: str) -> str:
    if value not in tiers.RULES:
        raise ValidationError(
            "Choose how you want to sign: public, recipient, counted or anonymous."
        )
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
    if tier == Tier.ANONYMOUS:
        # Whatever comes with the mailbox is dropped: an anonymous signature's department is
        # given only when its token is redeemed, where nothing ties it to the mailbox.
        return SignerDetails(tier=tier)
    return SignerDetails(tier=tier, **tiers.stored_fields(tier, cleaned))


def clean_code(value: str) -> str:
    compact = "".join(value.split()).replace("-", "")
    if not _CODE.fullmatch(compact):
        raise ValidationError(f"The code is the {CODE_DIGITS} digits from the message we sent.")
    return compact


def clean_version(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= VERSION_MAX:
        raise ValidationError("version is the letter's version number, as the letter API gives it.")
    return value


def clean_receipt_secret(value: str) -> str:
    compact = value.strip()
    if not _RECEIPT.fullmatch(compact):
        raise ValidationError("This is not a receipt from this site. Copy it exactly as shown.")
    return compact


def clean_language(value: str | None, *, default: str) -> str:
    return value if value in LANGUAGES else default


def clean_base64(value: str, *, field: str, max_bytes: int) -> bytes:
    """Bytes from base64 as people paste it: either alphabet, padding optional, spaces ignored."""
    compact = "".join(value.split()).rstrip("=")
    if not compact:
        raise ValidationError(f"Enter the {field}.")
    if len(compact) > (max_bytes * 4 + 2) // 3 or not _BASE64.fullmatch(compact):
        raise ValidationError(f"The {field} is not base64 of the expected size: copy all of it.")
    standard = compact.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(f"The {field} is not valid base64: copy all of it.") from exc


def clean_department(value: str | None) -> str:
    return clean_text(value or "", field="department", max_length=FIELD_MAX_LENGTH)
