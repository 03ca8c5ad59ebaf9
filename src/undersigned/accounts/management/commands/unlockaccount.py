"""`undersigned unlockaccount EMAIL`: lift an account's sign-in lock before its window ends."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from undersigned.accounts.twofactor import login_email, sign_in_completed


class Command(BaseCommand):
    help = (
        "Forget an account's failed sign-ins and lift its lock. Reaches the web processes only "
        "through a shared cache (REDIS_URL); without one, each process's lock ends with its window."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        email = login_email(str(options["email"]))
        sign_in_completed(email=email)
        self.stdout.write(f"Failed sign-ins of {email} are forgotten; it is not locked.")
