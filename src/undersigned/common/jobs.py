"""Background jobs: each app registers its own in its `jobs.py`; the worker runs them in rounds.

A job with an interval runs at most once in each window of that length across every worker that
shares the cache (Redis when REDIS_URL is set; without it, one process's memory, which is what
the demo's single worker needs). The throttle is one `cache.add` of a key naming the job and the
current window: whichever worker adds it first runs the job. Naming the window, rather than
letting a key expire after the interval, means a changed interval takes effect at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], int]
    # Seconds between runs across all workers (read when due, so settings can change it);
    # 0 runs the job in every round.
    every: Callable[[], float]
    # Rounds run jobs in this order, lowest first.
    order: int


_JOBS: dict[str, Job] = {}


def job_register(
    *, name: str, run: Callable[[], int], order: int, every: float | Callable[[], float] = 0.0
) -> Job:
    """Register `run` (returning how much work it did) as the worker job `name`."""
    interval = every if callable(every) else (lambda: float(every))
    job = Job(name=name, run=run, every=interval, order=order)
    _JOBS[name] = job
    return job


def jobs_registered() -> list[Job]:
    """Every app's jobs, in running order (each app's jobs.py imported once)."""
    autodiscover_modules("jobs")
    return sorted(_JOBS.values(), key=lambda job: (job.order, job.name))


def job_named(name: str) -> Job:
    autodiscover_modules("jobs")
    return _JOBS[name]


def job_run_if_due(job: Job) -> int:
    """Run `job` unless it ran less than its interval ago (in any worker); returns its work."""
    interval = job.every()
    if interval > 0:
        window = int(time.time() // interval)
        if not cache.add(f"jobs:{job.name}:{window}", 1, timeout=math.ceil(2 * interval)):
            return 0
    return job.run()
