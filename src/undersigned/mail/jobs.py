"""The outbox's job: send what is due, in every worker round."""

from undersigned.common.jobs import job_register
from undersigned.mail.services import outbox_run_once

job_register(name="outbox", run=outbox_run_once, order=20)
