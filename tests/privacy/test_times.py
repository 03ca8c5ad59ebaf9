"""Dates, not times: once signers have confirmed (and their mail has gone), no table holds a
time from the window in which they signed, so no row can be dated to the minute and joined to
a mail log, a badge reader or a camera (docs/threat-model.md)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone

from tests.signing.anonymous_helpers import token_by_email
from tests.signing.helpers import outbox_code, sign, start
from tests.support.factories import make_letter
from tests.support.smtp import SmtpSink
from undersigned.campaign.worker import run_worker
from undersigned.mail.models import OutboxMessage, OutboxState
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing import services

pytestmark = pytest.mark.django_db(transaction=True)


def times_inside(start: datetime, end: datetime) -> set[tuple[str, str]]:
    """Every (table, column) of every model holding a date-time between start and end."""
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.DateTimeField):
                continue
            inside = {f"{field.name}__gte": start, f"{field.name}__lte": end}
            if model._default_manager.filter(**inside).exists():
                found.add((model._meta.db_table, field.column))
    return found


def test_no_time_from_the_signing_window_once_signers_confirmed(smtp: SmtpSink) -> None:
    letter = make_letter(domains=["example.org"])
    began = timezone.now()
    # Anything derived from the signing times (expiry, leases, retries) lands in this window.
    window = (began, began + timedelta(hours=3))

    for tier in ("public", "recipient", "counted"):
        start(letter, f"{tier}@example.org", tier=tier, department="Cloud", updates=True)
    # Proof that the scan finds what it looks for: pending requests and unsent mail are timed.
    assert times_inside(*window) == {
        ("signing_verification", "expires_at"),
        ("signing_verification", "send_window_start"),
        ("mail_outboxmessage", "next_attempt_at"),
    }
    for tier in ("public", "recipient", "counted"):
        email = f"{tier}@example.org"
        services.signing_confirm(letter=letter, email=email, code=outbox_code(email))
    services.anonymous_signature_redeem(
        letter=letter, token=token_by_email(letter, "anon@example.org"), department="Cloud"
    )
    receipt = sign(letter, "leaver@example.org", tier="counted")
    services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)
    run_worker(stop=threading.Event(), once=True)
    log_sequence_all()

    assert OutboxMessage.objects.exclude(state=OutboxState.SENT).count() == 0
    assert times_inside(*window) == set()
