"""Versions of an open letter's text: typo fixes before the first signature, amendments after.

Rules (DESIGN.md section 5, docs/log.md):
- A draft has no versions; opening it records version 1 (its text and the hash the genesis
  entry publishes).
- Every change to the text of an open letter (titles, bodies, demands, in any language) makes
  a new version and queues an `amendment` entry with the new text hash, so the log always
  holds the hash of the text people are signing.
- Before anyone has signed (or taken an anonymous token), a change needs no explanation: it is
  a typo fix nobody has agreed to yet. Afterwards it is an amendment: organizers must say what
  changed, the note is public, and signers who asked for updates are asked to confirm the new
  version (signing/services/reconfirm.py). Signatures stay with the version they signed.
- Which version a signature belongs to is its place in the log: signature entries after the
  n-th amendment entry are for version n + 1. `letters.locks.version_hold` keeps that true under
  concurrency: a signing transaction holds the letter row in share mode, an amendment locks it
  for update, so no signature can be queued on one side of an amendment while it was checked
  against the other.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from undersigned.common.text import clean_text
from undersigned.crypto.canonical import canonical_json
from undersigned.letters.models import Letter, LetterVersion
from undersigned.letters.selectors import default_first
from undersigned.letters.states import State
from undersigned.publiclog.models import LogState
from undersigned.publiclog.selectors import letter_text_document
from undersigned.publiclog.services import log_enqueue_amendment
from undersigned.signing.models import Issuance, Signature
from undersigned.signing.services.reconfirm import reconfirm_requests_queue

logger = logging.getLogger(__name__)

NOTE_MAX = 500


def letter_signed(*, letter: Letter) -> bool:
    """Whether anyone has signed, withdrawn since included, or taken an anonymous token."""
    return (
        Signature.objects.filter(letter=letter).exists()
        or Issuance.objects.filter(letter=letter).exists()
    )


def _snapshot(letter: Letter) -> tuple[dict[str, Any], str]:
    document = letter_text_document(letter=letter)
    return document, hashlib.sha256(canonical_json(document)).hexdigest()


def version_record(*, letter: Letter, note: str = "") -> LetterVersion:
    """Store the letter's current text as its current version, if not stored yet."""
    found = LetterVersion.objects.filter(letter=letter, number=letter.version).first()
    if found is not None:
        return found
    document, text_hash = _snapshot(letter)
    return LetterVersion.objects.create(
        letter=letter, number=letter.version, snapshot=document, text_hash=text_hash, note=note
    )


@dataclass(frozen=True)
class Amendment:
    """A change to an open letter's text under way: its cleaned note, and whether anyone had
    signed (then the signers who want updates are asked to confirm the new version)."""

    note: str
    signed: bool


def amendment_begin(*, letter: Letter, note: str) -> Amendment | None:
    """Before changing the text of `letter` (locked by the caller); None when the letter is a
    draft and no version is involved. Raises ValidationError (on "note") when the letter has
    been signed and no note says what changes."""
    if letter.state != State.OPEN:
        return None
    try:
        cleaned = clean_text(note, field="note", max_length=NOTE_MAX, multiline=True)
    except ValidationError as exc:
        raise ValidationError({"note": exc.messages}) from exc
    signed = letter_signed(letter=letter)
    if not cleaned and signed:
        raise ValidationError(
            {
                "note": "People have signed this letter, so a change to its text is an "
                "amendment: say in a sentence what changes and why. Signers will see it."
            }
        )
    version_record(letter=letter)
    return Amendment(note=cleaned, signed=signed)


def amendment_finish(*, letter: Letter, amendment: Amendment) -> LetterVersion | None:
    """After the change: the new version, its amendment entry, and the re-confirm requests.

    Returns None when the change left the text as it was (nothing to record).
    """
    previous = LetterVersion.objects.get(letter=letter, number=letter.version)
    document, text_hash = _snapshot(letter)
    if text_hash == previous.text_hash:
        return None
    letter.version += 1
    Letter.objects.filter(pk=letter.pk).update(version=letter.version)
    created = LetterVersion.objects.create(
        letter=letter,
        number=letter.version,
        snapshot=document,
        text_hash=text_hash,
        note=amendment.note,
    )
    log_enqueue_amendment(letter=letter)
    if amendment.signed:
        reconfirm_requests_queue(letter=letter, version=created)
    logger.info("letter %s amended to version %s", letter.slug, letter.version)
    return created


@dataclass(frozen=True)
class VersionRow:
    number: int
    created_on: date
    note: str
    text_hash: str
    # Live signatures for this version, as the log says (its latest checkpoint).
    count: int
    current: bool


def _version_counts(letter: Letter) -> dict[str, int]:
    counts = LogState.objects.filter(letter=letter).values_list("version_counts", flat=True)
    return dict(counts.first() or {})


def letter_versions(*, letter: Letter) -> list[VersionRow]:
    """The versions of the letter's text, newest first, each with its published count.

    Two queries whatever the number of signatures: the counts per version are kept by the
    sequencer in the log's state.
    """
    counts = _version_counts(letter)
    rows = LetterVersion.objects.filter(letter=letter).order_by("-number")
    return [
        VersionRow(
            number=row.number,
            created_on=row.created_on,
            note=row.note,
            text_hash=row.text_hash,
            count=int(counts.get(str(row.number), 0)),
            current=row.number == letter.version,
        )
        for row in rows.only("number", "created_on", "note", "text_hash")
    ]


# Version numbers are 32-bit in the database; a larger one in a URL is simply not there.
_NUMBER_MAX = 2**31 - 1


@dataclass(frozen=True)
class ShownVersion:
    """One version as a reader sees it, in one of its languages."""

    row: LetterVersion
    language: str
    languages: list[str]
    title: str
    body: str
    demands: list[str]
    current: bool
    # Live signatures for this version, as the log says.
    count: int


def public_version(*, letter: Letter, number: int, language: str | None) -> ShownVersion | None:
    """The stored text of one version in `language` (else its default); None if there is none."""
    if not 1 <= number <= _NUMBER_MAX:
        return None
    row = LetterVersion.objects.filter(letter=letter, number=number).first()
    if row is None:
        return None
    texts: dict[str, dict[str, str]] = row.snapshot.get("texts", {})
    if not texts:
        return None
    default = letter.default_language if letter.default_language in texts else min(texts)
    shown = language if language in texts else default
    return ShownVersion(
        row=row,
        language=shown,
        languages=default_first(texts, default),
        title=texts[shown].get("title", ""),
        body=texts[shown].get("body", ""),
        demands=[
            demand.get(shown) or demand.get(default) or ""
            for demand in row.snapshot.get("demands", [])
        ],
        current=number == letter.version,
        count=int(_version_counts(letter).get(str(number), 0)),
    )
