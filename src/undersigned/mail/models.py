"""The outbox: every outgoing message is a row written in the transaction that caused it."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class OutboxState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up"


class OutboxMessage(models.Model):
    """One message. After sending, the recipient and content are erased; only a tombstone stays."""

    state = models.CharField(
        max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    # The plaintext address lives here only until the message is sent (docs/design.md section 4e).
    recipients = models.JSONField(default=list)
    message = models.BinaryField()  # RFC 5322 bytes, built at enqueue time
    message_id = models.CharField(max_length=200)  # random, see services.message_id
    attempts = models.PositiveSmallIntegerField(default=0)
    # Times exist only while a message waits: a sent (or abandoned) row keeps dates alone, so it
    # cannot be lined up with a signer's visit (docs/threat-model.md).
    next_attempt_at = models.DateTimeField(default=timezone.now, null=True, blank=True)
    # A worker owns a row until this time; a worker that died loses it when the lease runs out.
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True, db_index=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_on = models.DateField(default=timezone.localdate)
    sent_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"outbox {self.pk} {self.state}"
