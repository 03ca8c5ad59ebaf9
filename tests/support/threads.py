"""Concurrency tests' one way to release many requests at once, bounded in time."""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

BARRIER_SECONDS = 30
RUN_SECONDS = 120


def in_threads(count: int, work: Callable[[int], str]) -> Tally[str]:
    """Run `work(i)` in `count` threads released together, bounded in time; each closes its
    own connection. Returns how often each outcome came back."""
    barrier = threading.Barrier(count, timeout=BARRIER_SECONDS)

    def run(i: int) -> str:
        try:
            barrier.wait()
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, i) for i in range(count)]
        return Tally(future.result(timeout=RUN_SECONDS) for future in futures)
