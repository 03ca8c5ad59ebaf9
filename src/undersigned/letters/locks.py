"""The one lock signing takes on a letter row (see letters/versions.py for why)."""

from __future__ import annotations

from django.db import connection

from undersigned.letters.models import Letter


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
