"""The list of jobs one worker round runs. Later capabilities add theirs here."""

from __future__ import annotations

import logging
from collections.abc import Callable

from undersigned.campaign.milestones import milestones_job
from undersigned.delivery.services import delivery_job, updates_fanout_job
from undersigned.mail.services import outbox_run_once
from undersigned.publiclog.sequencer import sequencer_job
from undersigned.signing.services import verifications_expire_job

logger = logging.getLogger(__name__)

JOBS: list[Callable[[], int]] = [
    # Before the outbox, so an update's first messages go out in the same round.
    updates_fanout_job,
    outbox_run_once,
    verifications_expire_job,
    sequencer_job,
    delivery_job,
    milestones_job,
]


def run_jobs_once() -> int:
    """Run each job once; return how much work was done, so an idle worker can sleep."""
    done = 0
    for job in JOBS:
        try:
            done += job()
        except Exception:
            # One failing job (a database hiccup) must not stop the others or the worker.
            logger.exception("worker job %s failed", job.__name__)
    return done
