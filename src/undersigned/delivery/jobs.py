"""Delivery's jobs: write updates' messages, and deliver letters that are due."""

from undersigned.common.jobs import job_register
from undersigned.delivery.services import delivery_job, updates_fanout_job

# Before the outbox, so an update's first messages go out in the same round.
job_register(name="updates", run=updates_fanout_job, order=10)
job_register(name="delivery", run=delivery_job, order=50)
