"""`undersigned purge_letter_secrets SLUG`: erase a letter's signing secrets for good."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.letters.models import Letter
from undersigned.signing.services import letter_secrets_purge


class Command(BaseCommand):
    help = (
        "Destroy a letter's mailbox key, pending verifications, update addresses and unused "
        "invite codes. Signatures and counts stay; nobody can sign or use those codes afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        letter = Letter.objects.filter(slug=options["slug"]).first()
        if letter is None:
            raise CommandError(f"There is no letter {options['slug']!r}.")
        report = letter_secrets_purge(letter=letter)
        for line in report.lines():
            self.stdout.write(line)
