"""Delivering a letter exactly once: at its delivery time, on an owner's request, or by command.

The steps, each safe to repeat after a crash:
1. A Delivery row exists (one per letter: a unique constraint) once delivery is due.
2. A worker claims the row with a conditional update (a lease), so two workers never build the
   same PDF; a worker that died loses the lease when it runs out.
3. The letter is closed, and the log's queue for it is drained, so the checkpoint covers every
   signature the PDF names and counts.
4. Two PDFs are built from that checkpoint, outside any write transaction (on SQLite a write
   transaction locks the whole database, and a large PDF takes seconds to build): the public
   copy, and the recipient's, which also names recipient-tier signers.
5. One transaction re-checks that nothing moved (the letter is still closed, the log still at
   that checkpoint, the row still ours and not delivered), then stores the public PDF and both
   SHA-256s, queues the email with the recipient's copy attached, queues the `delivery` log
   entry (both hashes) and marks the letter delivered. A worker killed before it commits leaves
   nothing; one killed after it leaves a delivered letter that nobody delivers again.

The recipient's copy is stored nowhere else than in that email's outbox row, which the outbox
empties once the mail server has accepted it: until then it can be sent again
(`delivery_resend`); after, only its hash remains.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from undersigned.accounts.models import User
from undersigned.common.errors import ServiceError
from undersigned.delivery.document import delivery_document, recipient_document
from undersigned.delivery.models import Delivery, DeliveryState
from undersigned.delivery.pdf import build_pdf
from undersigned.letters.models import Letter
from undersigned.letters.presentation import letter_title, letter_url
from undersigned.letters.states import (
    DELIVERABLE_STATES,
    SIGNABLE_STATES,
    State,
    check_transition,
    state_write,
)
from undersigned.mail.models import OutboxMessage, OutboxState
from undersigned.mail.services import backoff, outbox_enqueue, render_email
from undersigned.publiclog.models import LogState, PendingEntry
from undersigned.publiclog.sequencer import log_sequence
from undersigned.publiclog.services import log_enqueue_delivery
from undersigned.signing.services.common import issuance_key_of, letter_log_open

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
_SNAPSHOT_TRIES = 3


class DeliveryMoved(ServiceError):
    """The letter or its log changed while the PDF was being built; build it again."""

    status, code = 409, "delivery_moved"
    message = "The letter changed while it was being delivered; the worker tries again."


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    token: str


def delivery_request(*, letter: Letter, user: User | None) -> Delivery:
    """Deliver as soon as a worker can: closes the letter now and makes the delivery due."""
    now = timezone.now()
    with transaction.atomic():
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        existing = Delivery.objects.filter(letter=locked).first()
        if existing is not None and existing.state == DeliveryState.DELIVERED:
            raise ValidationError("This letter has already been delivered.")
        if locked.state not in DELIVERABLE_STATES:
            label = State(locked.state).label.lower()
            raise ValidationError(f"A letter that is {label} cannot be delivered.")
        _close(locked)
        if existing is None:
            return Delivery.objects.create(
                letter=locked, due_at=now, next_attempt_at=now, requested_by=user
            )
        existing.due_at = existing.next_attempt_at = now
        existing.requested_by = user
        existing.save(update_fields=["due_at", "next_attempt_at", "requested_by"])
        return existing


def deliveries_schedule() -> int:
    """Delivery rows for letters whose delivery time has come; returns how many were created."""
    now = timezone.now()
    due = Letter.objects.filter(
        state__in=DELIVERABLE_STATES, deliver_at__lte=now, delivery__isnull=True
    ).values_list("pk", "deliver_at")
    created = 0
    for letter_id, deliver_at in list(due):
        try:
            with transaction.atomic():
                due_at = deliver_at or now  # never None: filtered on above
                Delivery.objects.create(letter_id=letter_id, due_at=due_at, next_attempt_at=due_at)
            created += 1
        except IntegrityError:  # another worker scheduled it a moment ago
            continue
    return created


def delivery_claim(*, delivery_id: int | None = None) -> Claim | None:
    """Lease one due delivery (or the given one) with a conditional update; None if none is free."""
    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    rows = Delivery.objects.filter(free, state=DeliveryState.PENDING)
    if delivery_id is not None:
        rows = rows.filter(pk=delivery_id)
    else:
        rows = rows.filter(next_attempt_at__lte=now)
    for candidate in list(rows.order_by("next_attempt_at").values_list("pk", flat=True)[:5]):
        token = secrets.token_hex(16)
        won = Delivery.objects.filter(free, pk=candidate, state=DeliveryState.PENDING).update(
            leased_until=now + LEASE, lease_token=token
        )
        if won:
            return Claim(candidate, token)
    return None


def delivery_perform(*, claim: Claim) -> bool:
    """Deliver a claimed letter; True once delivered. Failures are recorded and retried later."""
    try:
        for _ in range(_SNAPSHOT_TRIES):
            try:
                return _deliver(claim)
            except DeliveryMoved:
                continue
        raise DeliveryMoved(message="the letter's log kept changing while the PDF was being built")
    # Whatever went wrong (a font, the database), the row says so and is tried again later.
    except Exception as exc:
        logger.exception("delivering %s failed", claim.delivery_id)
        _failed(claim, exc)
        return False


def delivery_job() -> int:
    """The worker's job: schedule due deliveries, then deliver one."""
    done = deliveries_schedule()
    claim = delivery_claim()
    if claim is not None:
        done += int(delivery_perform(claim=claim))
    return done


def delivery_resend(*, delivery: Delivery) -> None:
    """Send the recipient's message again after the outbox gave up on it."""
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            pk=delivery.message_id or 0, state=OutboxState.FAILED
        ).update(state=OutboxState.PENDING, attempts=0, next_attempt_at=timezone.now())
    if not updated:
        raise ValidationError("Only a message the mail server kept refusing can be sent again.")


def _close(letter: Letter) -> None:
    if letter.state in SIGNABLE_STATES:
        state_write(letter, State.CLOSED)


def _prepare(letter_id: int) -> LogState:
    """Close the letter and bring its log up to date; returns the log's state."""
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(pk=letter_id)
        _close(letter)
        letter_log_open(letter=letter)
    while log_sequence(letter_id=letter_id) > 0:
        pass
    return LogState.objects.get(letter_id=letter_id)


def _deliver(claim: Claim) -> bool:
    delivery = Delivery.objects.select_related("letter").get(pk=claim.delivery_id)
    letter = delivery.letter
    if letter.state not in DELIVERABLE_STATES:
        raise ValidationError(f"the letter is {letter.state} and cannot be delivered")
    log = _prepare(letter.pk)
    today = timezone.localdate()
    document = delivery_document(letter=letter, log=log, delivered_on=today)
    pdf = build_pdf(document)
    digest = hashlib.sha256(pdf).hexdigest()
    # Built after the public copy, whose hash it carries.
    private = build_pdf(recipient_document(letter=letter, public=document, public_sha256=digest))
    private_digest = hashlib.sha256(private).hexdigest()
    with transaction.atomic():
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        row = Delivery.objects.select_for_update().get(pk=claim.delivery_id)
        if row.lease_token != claim.token or row.state != DeliveryState.PENDING:
            return False  # our lease ran out and another worker took over
        current = LogState.objects.get(letter_id=letter.pk)
        queued = PendingEntry.objects.filter(letter_id=letter.pk).exists()
        if locked.state != State.CLOSED or current.size != log.size or queued:
            raise DeliveryMoved()
        check_transition(locked.state, State.DELIVERED)  # before anything is queued
        message = outbox_enqueue(message=_email(locked, document.total, private))
        log_enqueue_delivery(
            letter=locked,
            pdf_sha256=digest,
            recipient_pdf_sha256=private_digest,
            recipient=locked.recipient_name,
            genesis_keys=lambda: issuance_key_of(locked),
        )
        state_write(locked, State.DELIVERED)
        row.state = DeliveryState.DELIVERED
        row.delivered_at = timezone.now()
        row.pdf, row.pdf_sha256 = pdf, digest
        row.recipient_pdf_sha256 = private_digest
        row.checkpoint, row.checkpoint_size = log.checkpoint, log.size
        row.message = message
        row.leased_until, row.last_error = None, ""
        row.save()
    logger.info(
        "letter %s delivered (public PDF %s bytes, sha256 %s; recipient's sha256 %s)",
        letter.slug,
        len(pdf),
        digest,
        private_digest,
    )
    return True


def _email(letter: Letter, total: int, pdf: bytes) -> EmailMultiAlternatives:
    title = letter_title(letter, letter.default_language)
    context = {
        "title": title,
        "recipient": letter.recipient_name,
        "total": total,
        "url": letter_url(slug=letter.slug),
        "language": letter.default_language,
    }
    email = render_email(
        "delivery", to=letter.recipient_email, context=context, language=letter.default_language
    )
    email.from_email = settings.DEFAULT_FROM_EMAIL
    email.attach(f"{letter.slug}.pdf", pdf, "application/pdf")
    return email


def _failed(claim: Claim, exc: Exception) -> None:
    row = Delivery.objects.filter(pk=claim.delivery_id, lease_token=claim.token).first()
    if row is None:
        return
    attempts = row.attempts + 1
    Delivery.objects.filter(pk=row.pk, lease_token=claim.token).update(
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:300],
        next_attempt_at=timezone.now() + backoff(attempts),
        leased_until=None,
    )
