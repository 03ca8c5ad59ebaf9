"""Signing's job: delete expired verifications, with whatever a signer typed but never confirmed."""

from undersigned.common.jobs import job_register
from undersigned.signing.services.retention import EXPIRY_SWEEP_SECONDS, verifications_expire

job_register(
    name="verifications-expire", run=verifications_expire, order=30, every=EXPIRY_SWEEP_SECONDS
)
