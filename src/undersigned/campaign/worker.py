"""The background worker: rounds of every app's registered jobs (common/jobs.py), until stopped.

Outgoing email, log sequencing, update fan-out, deliveries, expiries and milestone notices are
each an app's job; the worker only runs them, so a job that fails (a database hiccup) is logged
and the others go on.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

from undersigned.common.jobs import job_run_if_due, jobs_registered

logger = logging.getLogger(__name__)


def run_jobs_once() -> int:
    """Run each due job once; return how much work was done, so an idle worker can sleep."""
    done = 0
    for job in jobs_registered():
        try:
            done += job_run_if_due(job)
        except Exception:
            # One failing job must not stop the others or the worker.
            logger.exception("worker job %s failed", job.name)
    return done


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
