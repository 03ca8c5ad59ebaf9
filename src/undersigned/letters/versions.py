"""Versions of an open letter's text: typo fixes before the first signature, amendments after.

Rules (docs/design.md section 5c, docs/log.md):
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
from typing import Any

from undersigned.crypto.canonical import canonical_json
from undersigned.letters.models import Demand, Letter, LetterVersion

logger = logging.getLogger(__name__)

NOTE_MAX = 500


def letter_text_document(*, letter: Letter) -> dict[str, Any]:
    """The letter's texts and demands, all languages, as the log hashes them (docs/log.md):
    {"demands": [{lang: text}, ...in order], "texts": {lang: {"body", "title"}}}."""
    texts = {t.language: {"title": t.title, "body": t.body} for t in letter.texts.all()}
    demands = [
        {t.language: t.text for t in demand.texts.all()}
        for demand in Demand.objects.filter(letter=letter).prefetch_related("texts")
    ]
    return {"texts": texts, "demands": demands}


def letter_text_hash(*, letter: Letter) -> str:
    """SHA-256 (hex) of the canonical JSON of letter_text_document, so anyone holding the
    published texts can recompute it."""
    return version_snapshot(letter)[1]


def version_snapshot(letter: Letter) -> tuple[dict[str, Any], str]:
    document = letter_text_document(letter=letter)
    return document, hashlib.sha256(canonical_json(document)).hexdigest()


def version_record(*, letter: Letter, note: str = "") -> LetterVersion:
    """Store the letter's current text as its current version, if not stored yet."""
    found = LetterVersion.objects.filter(letter=letter, number=letter.version).first()
    if found is not None:
        return found
    document, text_hash = version_snapshot(letter)
    return LetterVersion.objects.create(
        letter=letter, number=letter.version, snapshot=document, text_hash=text_hash, note=note
    )
