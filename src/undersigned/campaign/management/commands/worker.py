"""The background worker: sends the outbox (and, as they land, sequences the log and delivers)."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from undersigned.campaign.jobs import run_jobs_once


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


def run_worker(*, stop: threading.Event, once: bool = False, idle_sleep: float = 0.2) -> None:
    while not stop.is_set():
        close_old_connections()
        done = run_jobs_once()
        if once:
            return
        if not done:
            stop.wait(idle_sleep)
        else:
            time.sleep(0)  # yield between busy rounds
