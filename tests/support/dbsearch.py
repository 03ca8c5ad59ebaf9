"""Search every table and column of the test database for a string (privacy canary tests).

Tables come from the database's own catalogue, not from Django's models, so a table nobody
remembered (a session, a cache, another app's) is searched too. Bytes are decoded as UTF-8 with
replacement, so a plaintext address inside a stored message or a blob is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection


@dataclass(frozen=True)
class Hit:
    table: str
    column: str
    value: str


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def search_database(needle: str) -> list[Hit]:
    """Every cell (as text, case-insensitive) that contains `needle`."""
    wanted = needle.casefold()
    hits: list[Hit] = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 -- names from the catalogue
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = as_text(value)
                    if wanted in text.casefold():
                        hits.append(Hit(table, column, text[:200]))
    return hits


def places(hits: list[Hit]) -> set[tuple[str, str]]:
    return {(hit.table, hit.column) for hit in hits}
