"""The rules for what a letter may hold: limits, slugs, domains, languages and PDF files.

letters/services.py applies them; signing can call domain_normalize to compare a mailbox's domain
with the letter's in the same form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.validators import validate_email

from undersigned.common.text import clean_text
from undersigned.letters.models import LANGUAGES, AddendumKind

TITLE_MAX = 200
BODY_MAX = 50_000
DEMAND_MAX = 1000
RECIPIENT_NAME_MAX = 200
MARKDOWN_MAX = 50_000
GOAL_MAX = 10_000_000
MAX_DOMAINS = 50
MAX_DEMANDS = 50
MAX_ADDENDA = 30

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]")
# Words that read as pages of the site rather than letters, now or in the future.
RESERVED_SLUGS = frozenset(
    {"new", "api", "admin", "static", "media", "manage", "accounts", "login", "logout",
     "letters", "healthz", "help", "about", "settings", "www", "edit", "create", "delete"}
)  # fmt: skip
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
# ISO 32000 puts %%EOF at the very end; readers look for it in the last 1024 bytes.
_PDF_TRAILER_WINDOW = 1024


class FieldErrors:
    """Collects refusals per form field, so a form shows them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(ValidationError(message))

    def check(self, key: str, clean: Any, /, *args: Any, **kwargs: Any) -> Any:
        """clean(*args, **kwargs), or None with its refusal noted under the field `key`."""
        try:
            return clean(*args, **kwargs)
        except ValidationError as exc:
            # A refusal that names its own fields (the upload, say) keeps them.
            named = exc.error_dict if hasattr(exc, "error_dict") else {key: exc.error_list}
            for name, errors in named.items():
                self.errors.setdefault(name, []).extend(errors)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def slug_clean(value: str) -> str:
    slug = value.strip()
    if not _SLUG.fullmatch(slug):
        raise ValidationError(
            "The address must be 3 to 64 characters: lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit."
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError(f"“{slug}” is reserved by the site. Please choose another address.")
    return slug


def domain_normalize(value: str) -> str:
    """A host name in its lower-case ASCII (IDNA) form, as letters store it.

    "Bücher.Example" becomes "xn--bcher-kva.example". Anything that is not a host name with at
    least two labels (IP addresses and wildcards included) is refused.
    """
    name = clean_text(value, field="domain", max_length=253).rstrip(".").lower()
    problem = ValidationError(f"“{name[:80]}” is not a valid domain, like example.org.")
    try:
        ascii_name = name.encode("idna").decode("ascii")
        ascii_name.encode("ascii").decode("idna")  # refuses malformed "xn--" labels
    except UnicodeError as exc:
        raise problem from exc
    labels = ascii_name.split(".")
    if (
        len(ascii_name) > 253
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise problem
    return ascii_name


def domains_clean(values: Iterable[str]) -> list[str]:
    domains: list[str] = []
    for value in values:
        domain = domain_normalize(value)
        if domain not in domains:
            domains.append(domain)
    if not domains:
        raise ValidationError("Please list at least one domain whose mailboxes may sign.")
    if len(domains) > MAX_DOMAINS:
        raise ValidationError(f"A letter can have at most {MAX_DOMAINS} domains.")
    return domains


def language_clean(value: str) -> str:
    if value not in LANGUAGES:
        raise ValidationError("Please choose one of the listed languages.")
    return value


def recipient_email_clean(value: str) -> str:
    """Lower-cased; may be empty while the letter is a draft."""
    address = clean_text(value, field="recipient's email", max_length=254).lower()
    if address:
        validate_email(address)
    return address


def goal_clean(value: int) -> int:
    if not 1 <= value <= GOAL_MAX:
        raise ValidationError(f"The goal must be between 1 and {GOAL_MAX:,}.")
    return value


def upload_too_large_message() -> str:
    return f"The file is too large; the limit is {settings.ADDENDUM_MAX_BYTES // 2**20} MB."


def _upload_read(upload: bytes | File[bytes]) -> bytes:
    """The file's bytes, if it is a PDF by content: a .pdf name or content type prove nothing."""
    limit = settings.ADDENDUM_MAX_BYTES
    too_big = ValidationError({"upload": upload_too_large_message()})
    if isinstance(upload, bytes):
        data = upload
    else:
        if upload.size is not None and upload.size > limit:
            raise too_big
        upload.seek(0)
        data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_big
    if not _PDF_HEADER.match(data) or b"%%EOF" not in data[-_PDF_TRAILER_WINDOW:]:
        raise ValidationError({"upload": "This file is not a PDF document."})
    return data


def addendum_content_clean(
    kind: str, markdown: str | None, upload: bytes | File[bytes] | None
) -> bytes:
    """The bytes to store for an addendum of `kind`: UTF-8 Markdown as typed, or a PDF file."""
    if kind == AddendumKind.MARKDOWN:
        if upload is not None:
            raise ValidationError({"upload": "A text addendum has no file; choose PDF instead."})
        try:
            text = clean_text(markdown or "", field="text", max_length=MARKDOWN_MAX, multiline=True)
        except ValidationError as exc:
            raise ValidationError({"markdown": exc.error_list}) from exc
        if not text:
            raise ValidationError({"markdown": "Please write the addendum's text."})
        return text.encode()
    if kind == AddendumKind.PDF:
        if markdown:
            raise ValidationError({"markdown": "A PDF addendum has no text; choose text instead."})
        if upload is None:
            raise ValidationError({"upload": "Please choose a PDF file."})
        return _upload_read(upload)
    raise ValidationError({"kind": "Please choose text or PDF."})
