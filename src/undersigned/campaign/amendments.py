"""Changes to an open letter's text: a correction before the first signature, an amendment
after it (the rules are in letters/versions.py and docs/design.md).

An amendment is one act across apps: the new version (letters), its `amendment` log entry
(publiclog), and, when people had signed, the request that the worker asks subscribers to
confirm the new version (delivery's update fan-out). All of it happens in the caller's
transaction, with the letter's row locked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from undersigned.common.text import clean_text
from undersigned.delivery.services.updates import reconfirm_requests_queue
from undersigned.letters.locks import letter_editable
from undersigned.letters.models import Letter, LetterVersion
from undersigned.letters.states import SIGNABLE_STATES
from undersigned.letters.versions import NOTE_MAX, version_record, version_snapshot
from undersigned.publiclog.services import log_enqueue_amendment
from undersigned.signing.selectors import letter_signed
from undersigned.signing.services.common import issuance_key_of

logger = logging.getLogger(__name__)


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
    if letter.state not in SIGNABLE_STATES:
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
    document, text_hash = version_snapshot(letter)
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
    log_enqueue_amendment(letter=letter, genesis_keys=lambda: issuance_key_of(letter))
    if amendment.signed:
        reconfirm_requests_queue(letter=letter, version=created)
    logger.info("letter %s amended to version %s", letter.slug, letter.version)
    return created


@contextmanager
def text_change(letter: Letter, note: str) -> Iterator[Letter]:
    """The locked letter, for a change to its text; an open letter gets a new version after it
    (letters/versions.py). An exception in the change skips that, and the caller's transaction
    rolls everything back."""
    locked = letter_editable(letter)
    amending = amendment_begin(letter=locked, note=note)
    yield locked
    if amending is not None:
        amendment_finish(letter=locked, amendment=amending)
