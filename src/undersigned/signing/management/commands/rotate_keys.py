"""`undersigned rotate-keys`: re-wrap every stored secret under the current SECRET_KEY."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from undersigned.signing.services.rotation import secrets_rewrap


class Command(BaseCommand):
    help = (
        "Re-wrap mailbox keys, log signing keys, issuance keys and update addresses under the "
        "current SECRET_KEY, reading them with SECRET_KEY_FALLBACKS. Safe to run again; once it "
        "reports nothing left to re-wrap, the fallbacks can be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per transaction (default 500)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = secrets_rewrap(batch_size=max(1, options["batch_size"]))
        for count in counts:
            self.stdout.write(count.line())
        unreadable = sum(count.unreadable for count in counts)
        if unreadable:
            # Not a failure: removing a fallback cannot make these any less readable than now.
            self.stderr.write(
                f"{unreadable} values open with neither SECRET_KEY nor a fallback; they stay "
                "unreadable (wrapped under a key that is no longer configured)."
            )
