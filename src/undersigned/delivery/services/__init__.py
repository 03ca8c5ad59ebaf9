"""Delivery services: every change in this app, each one transaction. Import them from here."""

from undersigned.delivery.services.delivery import (
    Claim,
    deliveries_schedule,
    delivery_claim,
    delivery_job,
    delivery_perform,
    delivery_request,
    delivery_resend,
)
from undersigned.delivery.services.responses import response_record
from undersigned.delivery.services.updates import (
    update_fanout,
    update_send,
    updates_fanout_job,
    updates_unsubscribe,
)

__all__ = [
    "Claim",
    "deliveries_schedule",
    "delivery_claim",
    "delivery_job",
    "delivery_perform",
    "delivery_request",
    "delivery_resend",
    "response_record",
    "update_fanout",
    "update_send",
    "updates_fanout_job",
    "updates_unsubscribe",
]
