"""`undersigned worker`: runs the background jobs until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from undersigned.campaign.worker import run_worker


class Command(BaseCommand):
    help = "Run the background worker: outgoing email, log sequencing, scheduled deliveries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Do the due work once and exit.")
        parser.add_argument(
            "--idle-sleep", type=float, default=0.2, help="Seconds to wait when nothing is due."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
        run_worker(stop=stop, once=options["once"], idle_sleep=options["idle_sleep"])
