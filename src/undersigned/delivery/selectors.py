"""Reads for delivery: what the public page and the organizers see of it, and the PDF itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models.functions import Length
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from undersigned.delivery.models import (
    Delivery,
    DeliveryState,
    ResponseEntry,
    Status,
    Update,
    UpdateKind,
)
from undersigned.delivery.services.updates import UNSUBSCRIBE, update_next_at
from undersigned.letters.models import LANGUAGES, Demand, DemandText, Letter, LetterText
from undersigned.letters.presentation import default_first
from undersigned.letters.states import DELIVERED_STATES
from undersigned.mail.models import OutboxMessage, OutboxState
from undersigned.signing.codes import signature_link_id
from undersigned.signing.models import Signature
from undersigned.signing.selectors import ACTIVE


def pdf_path(letter: Letter) -> str:
    return reverse("delivery:pdf", kwargs={"slug": letter.slug})


@dataclass(frozen=True)
class PublicDelivery:
    delivered_on: date
    sha256: str
    size: int
    path: str


def public_delivery(*, letter: Letter) -> PublicDelivery | None:
    """The delivery as the letter page shows it; None until the letter is delivered."""
    if letter.state not in DELIVERED_STATES:
        return None  # no query: the page of an open letter is what crowds reload
    row = (
        Delivery.objects.filter(letter=letter, state=DeliveryState.DELIVERED)
        .annotate(size=Length("pdf"))
        .values("delivered_at", "pdf_sha256", "size")
        .first()
    )
    if row is None:
        return None
    delivered_on = timezone.localdate(row["delivered_at"])
    return PublicDelivery(delivered_on, row["pdf_sha256"], row["size"] or 0, pdf_path(letter))


def delivered_pdf(*, letter: Letter) -> tuple[bytes, str]:
    """The public copy of the delivered PDF, its bytes and SHA-256; a 404 before delivery.

    Only this copy is stored: the recipient's, which names recipient-tier signers, is not.
    """
    row = (
        Delivery.objects.filter(letter=letter, state=DeliveryState.DELIVERED)
        .values_list("pdf", "pdf_sha256")
        .first()
    )
    if row is None or row[0] is None:
        raise Http404("This letter has not been delivered.")
    return bytes(row[0]), row[1]


@dataclass(frozen=True)
class DeliveryStatus:
    """What organizers see: is it due, delivered, failing, and did the email go out."""

    state: str
    due_at: datetime | None
    delivered_at: datetime | None
    attempts: int
    last_error: str
    sha256: str  # the public copy's
    recipient_sha256: str
    checkpoint_size: int | None
    message_state: str
    message_attempts: int
    message_error: str
    pdf_path: str

    @property
    def message_failed(self) -> bool:
        return self.message_state == OutboxState.FAILED

    @property
    def message_label(self) -> str:
        return OutboxState(self.message_state).label if self.message_state else ""


def delivery_status(*, letter: Letter) -> DeliveryStatus | None:
    row = Delivery.objects.filter(letter=letter).defer("pdf").first()
    if row is None:
        return None
    message = (
        OutboxMessage.objects.filter(pk=row.message_id or 0)
        .values("state", "attempts", "last_error")
        .first()
    ) or {"state": "", "attempts": 0, "last_error": ""}
    return DeliveryStatus(
        state=row.state,
        due_at=row.due_at,
        delivered_at=row.delivered_at,
        attempts=row.attempts,
        last_error=row.last_error,
        sha256=row.pdf_sha256,
        recipient_sha256=row.recipient_pdf_sha256,
        checkpoint_size=row.checkpoint_size,
        message_state=message["state"],
        message_attempts=message["attempts"],
        message_error=message["last_error"],
        pdf_path=pdf_path(letter) if row.state == DeliveryState.DELIVERED else "",
    )


def delivery_of(*, letter: Letter) -> Delivery | None:
    return Delivery.objects.filter(letter=letter).defer("pdf").first()


@dataclass(frozen=True)
class TimelineEntry:
    status: str
    status_label: str
    happened_on: date
    note: str
    link: str


@dataclass(frozen=True)
class DemandTimeline:
    position: int
    demand_id: int
    status: str
    status_label: str
    entries: list[TimelineEntry]


def demand_timelines(*, letter: Letter) -> dict[int, DemandTimeline]:
    """Per demand position: its current answer (the latest entry's) and every dated step."""
    demands = list(Demand.objects.filter(letter=letter).values_list("pk", "position"))
    rows = ResponseEntry.objects.filter(demand__letter=letter).values_list(
        "demand_id", "status", "happened_on", "note", "link"
    )
    by_demand: dict[int, list[TimelineEntry]] = {}
    for demand_id, status, happened_on, note, link in rows:
        entry = TimelineEntry(status, Status(status).label, happened_on, note, link)
        by_demand.setdefault(demand_id, []).append(entry)
    timelines = {}
    for demand_id, position in demands:
        entries = by_demand.get(demand_id, [])
        status = entries[-1].status if entries else Status.PENDING.value
        timelines[position] = DemandTimeline(
            position, demand_id, status, Status(status).label, entries
        )
    return timelines


def public_timelines(*, letter: Letter) -> dict[int, DemandTimeline]:
    """The timelines the public page shows: none (and no query) before delivery."""
    if letter.state not in DELIVERED_STATES:
        return {}
    return demand_timelines(letter=letter)


def demand_choices(*, letter: Letter) -> list[tuple[int, str]]:
    """(demand id, "1. text") in the letter's own language, for the organizers' form."""
    texts = dict(
        DemandText.objects.filter(
            demand__letter=letter, language=letter.default_language
        ).values_list("demand_id", "text")
    )
    return [
        (pk, f"{position + 1}. {texts.get(pk, '')}")
        for pk, position in Demand.objects.filter(letter=letter).values_list("pk", "position")
    ]


@dataclass(frozen=True)
class PastUpdate:
    created_at: datetime
    recipients: int
    subject: str
    # False while the worker is still writing its messages.
    done: bool


@dataclass(frozen=True)
class UpdatesOverview:
    subscribers: int
    past: list[PastUpdate]
    # When the next update may go; None if it may go now.
    next_at: datetime | None


def updates_overview(*, letter: Letter) -> UpdatesOverview:
    """For the organizers' updates page: who would receive one, what went, when the next may."""
    subscribers = Signature.objects.filter(
        ACTIVE, letter=letter, updates_address__isnull=False
    ).count()
    past = [
        PastUpdate(
            created_at=row.created_at,
            recipients=row.recipients,
            subject=str(row.texts.get(letter.default_language, {}).get("subject", "")),
            done=row.done,
        )
        for row in Update.objects.filter(letter=letter, kind=UpdateKind.UPDATE).order_by(
            "-created_at"
        )
    ]
    last = past[0].created_at if past else None
    return UpdatesOverview(
        subscribers=subscribers, past=past, next_at=update_next_at(last_sent=last)
    )


def update_languages(*, letter: Letter) -> list[tuple[str, str]]:
    """(code, name) of the letter's languages, its default first: those an update may use."""
    codes = LetterText.objects.filter(letter=letter).values_list("language", flat=True)
    ordered = default_first(codes, letter.default_language)
    return [(code, LANGUAGES.get(code, code)) for code in ordered]


def unsubscribe_signature(*, letter: Letter, token: str) -> int | None:
    """The signature of this letter an unsubscribe token names, or None if it names none."""
    signature_id = signature_link_id(token, UNSUBSCRIBE)
    if (
        signature_id is None
        or not Signature.objects.filter(pk=signature_id, letter=letter).exists()
    ):
        return None
    return signature_id
