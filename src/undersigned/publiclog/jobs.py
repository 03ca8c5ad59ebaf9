"""The log's job: sequence every letter's queued entries, once per SEQUENCER_INTERVAL_SECONDS."""

from django.conf import settings

from undersigned.common.jobs import job_register
from undersigned.publiclog.sequencer import log_sequence_all

job_register(
    name="sequencer",
    run=log_sequence_all,
    order=40,
    every=lambda: float(settings.SEQUENCER_INTERVAL_SECONDS),
)
