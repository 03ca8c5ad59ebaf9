"""`undersigned createorganizer EMAIL`: let someone start letters, from the operator's shell."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.accounts.services import invitation_create, organizer_create


class Command(BaseCommand):
    help = (
        "Invite an organizer who may start letters: prints a one-time invitation link (valid "
        "for seven days), or with --password creates the account and prints a generated password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--password",
            action="store_true",
            help="Create the account now and print a generated password, shown only this once.",
        )
        parser.add_argument(
            "--send", action="store_true", help="Also email the invitation link to the address."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = str(options["email"])
        try:
            if options["password"]:
                password = secrets.token_urlsafe(15)
                user = organizer_create(email=email, password=password)
                self.stdout.write(f"Organizer {user.email} created. Password: {password}")
                self.stdout.write("It is not stored in clear and will not be shown again.")
                return
            link = invitation_create(email=email, invited_by=None, send_email=options["send"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Invitation link for {link.invitation.email} (one use, 7 days):")
        self.stdout.write(link.url)
