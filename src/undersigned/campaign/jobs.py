"""The campaign's job: milestone notices to organizers, checked every MILESTONES_SWEEP_SECONDS."""

from undersigned.campaign.milestones import MILESTONES_SWEEP_SECONDS, milestones_sweep
from undersigned.common.jobs import job_register

job_register(name="milestones", run=milestones_sweep, order=60, every=MILESTONES_SWEEP_SECONDS)
