"""Work mailboxes: normalization, the letter-keyed hash, and encryption for update subscribers.

Normalization policy (one rule for every domain, so it is predictable and documented): strip,
Unicode NFC, lower-case the whole address, and remove "+tag" from the local part. So
"Ana+Letters@Example.org" and "ana@example.org" are one mailbox and sign once. A domain with
case-sensitive local parts or a different sub-addressing separator is not treated specially.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from undersigned.common.keys import Wrapping
from undersigned.common.text import clean_text
from undersigned.letters.validation import domain_normalize

MAX_EMAIL_LENGTH = 254


def clean_address(value: str) -> str:
    """The address as the person typed it, checked: where we send their messages."""
    address = unicodedata.normalize(
        "NFC", clean_text(value, field="email address", max_length=MAX_EMAIL_LENGTH)
    )
    if not address:
        raise ValidationError("Enter your work email address.", code="required")
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError(
            "This does not look like an email address (name@example.org).", code="invalid"
        ) from exc
    return address


def normalize_mailbox(address: str) -> str:
    """The canonical mailbox of a cleaned address (see the module docstring for the policy).

    The domain takes the IDNA form letters store, so "ana@Bücher.example" matches a letter for
    "xn--bcher-kva.example".
    """
    local, _, domain = address.lower().rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}@{domain_normalize(domain)}"


def check_domain(mailbox: str, domains: list[str]) -> None:
    domain = mailbox.rpartition("@")[2]
    allowed = {d.strip().lower() for d in domains}
    if domain not in allowed:
        listed = ", ".join(sorted(allowed)) or "none"
        raise ValidationError(
            f"Only mailboxes at this letter's domains can sign ({listed}). "
            "Subdomains count only if they are listed.",
            code="wrong_domain",
        )


def mailbox_hash(*, key: bytes, mailbox: str) -> str:
    return hmac.new(key, mailbox.encode(), hashlib.sha256).hexdigest()


# Addresses of signers who asked for updates (Verification and Signature `updates_address`).
UPDATES_ADDRESSES = Wrapping("updates-address")


def encrypt_address(address: str) -> bytes:
    return UPDATES_ADDRESSES.wrap(address.encode())


def decrypt_address(token: bytes) -> str:
    """The address; InvalidToken when neither SECRET_KEY nor a fallback sealed it."""
    return UPDATES_ADDRESSES.unwrap(bytes(token)).decode()
