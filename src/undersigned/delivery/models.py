"""Delivery of a letter and the recipient's answer to each demand.

A letter is delivered at most once: one Delivery row per letter (a unique constraint), and the
row becomes `delivered` in the same transaction that stores the public PDF, queues the email with
the recipient's copy and the log entry and moves the letter to `delivered`.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting for the worker"
    DELIVERED = "delivered", "Delivered"


class Delivery(models.Model):
    letter = models.OneToOneField(
        "letters.Letter", on_delete=models.CASCADE, related_name="delivery"
    )
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    due_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A worker owns the row while it builds the PDF; one that died loses it when this passes.
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The public copy, served at /l/<slug>/delivered.pdf. The recipient's copy (which names
    # recipient-tier signers) is kept only in the outbox message that carries it, erased once
    # the mail server has it; its hash stays here and in the log.
    pdf = models.BinaryField(null=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    recipient_pdf_sha256 = models.CharField(max_length=64, blank=True)
    # The checkpoint the PDF's counts come from.
    checkpoint = models.TextField(blank=True)
    checkpoint_size = models.BigIntegerField(null=True)
    message = models.ForeignKey(
        "mail.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes: ClassVar = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"delivery of {self.letter_id} ({self.state})"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    REFUSED = "refused", "Refused"
    NO_ANSWER = "no_answer", "No answer"


class ResponseEntry(models.Model):
    """One dated step in the answer to a demand: its status from that day, a note, a link."""

    demand = models.ForeignKey("letters.Demand", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices)
    happened_on = models.DateField()
    note = models.TextField(max_length=2000, blank=True)
    link = models.URLField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["happened_on", "id"]
        indexes: ClassVar = [models.Index(fields=["demand", "happened_on"], name="response_demand")]

    def __str__(self) -> str:
        return f"{self.status} on {self.happened_on}"


class UpdateKind(models.TextChoices):
    UPDATE = "update", "Update from the organizers"
    # Written by an amendment: subscribers who signed an earlier version are asked to confirm.
    RECONFIRM = "reconfirm", "Request to confirm an amended text"


class Update(models.Model):
    """News from the organizers to signers who asked for it; one message per subscriber.

    `texts` maps a language to {"subject": ..., "body": ...}; the letter's default language is
    always there and subscribers whose language is missing get it. The worker writes the
    messages in batches (delivery/services/updates.py): `queued_through` is the last signature
    id done, `until_signature` the last one that existed when the update was written.
    """

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=UpdateKind.choices, default=UpdateKind.UPDATE)
    # For a re-confirm request: the letter version to confirm.
    version = models.PositiveIntegerField(null=True, blank=True)
    texts = models.JSONField()
    # Messages queued so far.
    recipients = models.PositiveIntegerField(default=0)
    until_signature = models.BigIntegerField(default=0)
    queued_through = models.BigIntegerField(default=0)
    done = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["letter", "created_at"], name="update_recent"),
            models.Index(fields=["done", "id"], name="update_unsent"),
        ]

    def __str__(self) -> str:
        return f"update {self.pk} of {self.letter_id}"
