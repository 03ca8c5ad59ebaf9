"""Recording the recipient's answer to each demand, after delivery."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from undersigned.accounts.models import User
from undersigned.common.text import clean_text
from undersigned.delivery.models import ResponseEntry, Status
from undersigned.letters.locks import letter_locked
from undersigned.letters.models import Demand
from undersigned.letters.states import ANSWERABLE_STATES

NOTE_MAX = 2000
LINK_MAX = 500
MAX_ENTRIES_PER_DEMAND = 200
_LINK = URLValidator(schemes=["http", "https"])


def _link_clean(value: str) -> str:
    link = clean_text(value, field="link", max_length=LINK_MAX)
    if not link:
        return ""
    try:
        _LINK(link)
    except ValidationError as exc:
        raise ValidationError(
            "The link must be a full web address starting with https:// or http://."
        ) from exc
    return link


def response_record(
    *,
    demand: Demand,
    user: User,
    status: str,
    happened_on: date,
    note: str = "",
    link: str = "",
) -> ResponseEntry:
    """A dated step in the answer to a delivered letter's demand. Refusals name their field."""
    errors: dict[str, list[str]] = {}
    if status not in Status.values:
        errors["status"] = ["Choose one of the listed answers."]
    today = timezone.localdate()
    if happened_on > today:
        errors["happened_on"] = ["The date cannot be in the future."]
    cleaned: dict[str, str] = {}
    for name, value, check in (
        ("note", note, lambda v: clean_text(v, field="note", max_length=NOTE_MAX, multiline=True)),
        ("link", link, _link_clean),
    ):
        try:
            cleaned[name] = check(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        letter = letter_locked(demand.letter)
        if letter.state not in ANSWERABLE_STATES:
            raise ValidationError("Answers are recorded once the letter has been delivered.")
        if happened_on < letter.created_on:
            raise ValidationError({"happened_on": ["The date is before the letter was written."]})
        if ResponseEntry.objects.filter(demand=demand).count() >= MAX_ENTRIES_PER_DEMAND:
            raise ValidationError("This demand already has as many entries as it can hold.")
        return ResponseEntry.objects.create(
            demand=demand,
            status=status,
            happened_on=happened_on,
            note=cleaned["note"],
            link=cleaned["link"],
            created_by=user,
        )
