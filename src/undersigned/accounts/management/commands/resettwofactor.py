"""`undersigned resettwofactor EMAIL`: for an organizer who lost both device and recovery codes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.accounts.models import User
from undersigned.accounts.twofactor import two_factor_reset


class Command(BaseCommand):
    help = (
        "Remove every second factor (authenticator app, recovery codes, passkeys) of an "
        "organizer account, so that it signs in with its password alone and can enrol again. "
        "Check who is asking first: this is the step an attacker who holds the password wants."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        email = str(options["email"]).strip().lower()
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"No organizer account has the email {email}.")
        removed = two_factor_reset(user=user)
        self.stdout.write(f"Removed {removed} second factor(s) of {user.email}.")
