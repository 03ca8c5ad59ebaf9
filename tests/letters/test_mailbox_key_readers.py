"""Only `mailbox_key_of` reads a letter's stored mailbox key: everyone else gets it unwrapped."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent.parent / "src" / "undersigned"
# PurgeReport has a boolean field of the same name (signing/services/retention.py).
ALLOWED = {("letters/models.py", "letter"), ("signing/services/retention.py", "self")}


def _readers() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "mailbox_key"
                and isinstance(node.ctx, ast.Load)
            ):
                owner = ast.unparse(node.value)
                found.add((path.relative_to(SOURCE).as_posix(), owner))
    return found


def test_only_mailbox_key_of_reads_the_stored_mailbox_key() -> None:
    readers = _readers()
    assert ("letters/models.py", "letter") in readers  # the search sees the one reader there is
    assert readers - ALLOWED == set()
