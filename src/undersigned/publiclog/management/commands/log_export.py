"""`undersigned log-export SLUG DIR`: a directory copy of a letter's log, for offline checks.

The directory has the layout of the log's URL (checkpoint, vkey, tile/...), so
`undersigned verify DIR` checks it exactly as it would the live log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.publiclog.selectors import log_export_files


class Command(BaseCommand):
    help = "Write a directory copy of a letter's public log (checkpoint, key, tiles, entries)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("directory")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["directory"])
        files = log_export_files(slug=options["slug"])
        if files is None:
            raise CommandError(f"No letter {options['slug']!r} with a log.")
        count = 0
        for path, data in files:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            count += 1
        self.stdout.write(f"Wrote {count} files to {root}.")
