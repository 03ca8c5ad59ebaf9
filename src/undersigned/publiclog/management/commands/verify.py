"""`verify` as a Django command: the same checker as crypto/verify_cli.py.

`undersigned verify` itself is dispatched before Django starts (see __main__.py), so it works
without any settings; this command serves `django-admin verify` and `call_command("verify")`.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.crypto import verify_cli


class Command(BaseCommand):
    help = "Check a letter's public log (a URL or a directory copy); exit 0 only if all checks."

    def add_arguments(self, parser: CommandParser) -> None:
        verify_cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        names = ("location", "key", "since", "save", "receipt", "pdf", "witness", "min_witnesses")
        namespace = argparse.Namespace(**{name: options[name] for name in names})
        namespace.pins, namespace.json = options["pins"], options["json"]
        if verify_cli.run(namespace, self.stdout, self.stderr) != 0:
            raise CommandError("The log does not check out (see above).", returncode=1)
