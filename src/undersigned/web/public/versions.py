"""The versions of a letter's text as readers see them, each with its published count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from undersigned.letters.models import Letter, LetterVersion
from undersigned.letters.presentation import default_first
from undersigned.publiclog.selectors import log_version_counts


@dataclass(frozen=True)
class VersionRow:
    number: int
    created_on: date
    note: str
    text_hash: str
    # Live signatures for this version, as the log says (its latest checkpoint).
    count: int
    current: bool


def letter_versions(*, letter: Letter) -> list[VersionRow]:
    """The versions of the letter's text, newest first, each with its published count.

    Two queries whatever the number of signatures: the counts per version are kept by the
    sequencer in the log's state.
    """
    counts = log_version_counts(letter_id=letter.pk)
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
        count=int(log_version_counts(letter_id=letter.pk).get(str(number), 0)),
    )
