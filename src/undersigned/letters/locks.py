"""The locks taken on a letter row: organizers' changes take it for update, one after another
(and mark the letter's cached pages stale); signing takes it in share mode (see
letters/versions.py for why)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection

from undersigned.common.pagecache import letter_changed
from undersigned.letters.models import Letter
from undersigned.letters.states import EDITABLE_STATES, State


def version_hold(*, letter_id: int) -> int:
    """The letter's current version, held until the caller's transaction ends.

    PostgreSQL: a FOR SHARE row lock, which signers take side by side and an amendment's
    FOR UPDATE waits for (and makes them wait). SQLite runs one writing transaction at a time
    (IMMEDIATE mode), which gives the same order without a lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT version FROM letters_letter WHERE id = %s FOR SHARE", [letter_id]
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0
    found = Letter.objects.filter(pk=letter_id).values_list("version", flat=True).first()
    return int(found or 0)


def letter_locked(letter: Letter) -> Letter:
    """The letter's row, locked, so concurrent edits and transitions apply one after another.

    Every change an organizer makes to a letter takes this lock, so here its cached public
    answers become stale (common/pagecache.py), at once and again when the change commits.
    """
    locked = Letter.objects.select_for_update().get(pk=letter.pk)
    letter_changed(slug=locked.slug)
    return locked


def letter_editable(letter: Letter) -> Letter:
    """The letter's row, locked, if its state still allows changes (else a ValidationError)."""
    locked = letter_locked(letter)
    if locked.state not in EDITABLE_STATES:
        raise ValidationError(
            f"This letter is {State(locked.state).label.lower()}; it can no longer be changed."
        )
    return locked
