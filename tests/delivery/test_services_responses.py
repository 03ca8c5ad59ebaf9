"""Recording answers: only after delivery, dated, with clean notes and http(s) links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.factories import make_letter, make_organizer
from undersigned.delivery.models import ResponseEntry
from undersigned.delivery.selectors import demand_timelines
from undersigned.delivery.services import response_record
from undersigned.letters.models import Demand
from undersigned.letters.states import State

pytestmark = pytest.mark.django_db


def _demand(state: str = State.DELIVERED) -> Demand:
    return Demand.objects.filter(letter=make_letter(state=state)).first()  # type: ignore[return-value]


def test_response_timeline_shows_latest_status_and_dated_steps() -> None:
    demand = _demand()
    user = make_organizer()
    today = timezone.localdate()
    response_record(demand=demand, user=user, status="refused", happened_on=today,
                    note="They said no.", link="https://news.example/no")  # fmt: skip
    response_record(demand=demand, user=user, status="partly_met", happened_on=today)

    timeline = demand_timelines(letter=demand.letter)[0]
    assert (timeline.status, [(e.status, e.note, e.link) for e in timeline.entries]) == (
        "partly_met",
        [("refused", "They said no.", "https://news.example/no"), ("partly_met", "", "")],
    )
    assert demand_timelines(letter=demand.letter)[1].status == "pending"


@pytest.mark.parametrize("state", [State.OPEN, State.CLOSED, State.ARCHIVED])
def test_response_refused_before_delivery(state: str) -> None:
    demand = _demand(state)
    with pytest.raises(ValidationError, match="once the letter has been delivered"):
        response_record(demand=demand, user=make_organizer(), status="met",
                        happened_on=timezone.localdate())  # fmt: skip
    assert ResponseEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"status": "maybe"}, "status", "Choose one of the listed answers."),
        ({"happened_on": timedelta(days=1)}, "happened_on", "The date cannot be in the future."),
        ({"note": "x" * 2001}, "note",
         "The note is too long (2001 characters; the limit is 2000)."),
        ({"note": "hi \u202e there"}, "note",
         "The note contains invisible direction-changing characters. Please remove them."),
        ({"link": "javascript:alert(1)"}, "link",
         "The link must be a full web address starting with https:// or http://."),
        ({"link": "ftp://files.example/x"}, "link",
         "The link must be a full web address starting with https:// or http://."),
        ({"link": "https://x.example/\x00"}, "link", "The link contains control characters."),
    ],
)  # fmt: skip
def test_response_bad_input_names_the_field(changes: dict[str, object], field: str,
                                            message: str) -> None:  # fmt: skip
    demand = _demand()
    values: dict[str, object] = {"status": "met", "happened_on": timezone.localdate(),
                                 "note": "", "link": ""}  # fmt: skip
    for key, value in changes.items():
        values[key] = values[key] + value if isinstance(value, timedelta) else value  # type: ignore[operator]
    with pytest.raises(ValidationError) as caught:
        response_record(demand=demand, user=make_organizer(), **values)  # type: ignore[arg-type]
    assert caught.value.message_dict == {field: [message]}
    assert ResponseEntry.objects.count() == 0


@settings(max_examples=40, deadline=None)
@given(note=st.text(max_size=300), link=st.text(max_size=80))
def test_response_any_text_is_stored_clean_or_refused(note: str, link: str) -> None:
    demand = Demand.objects.filter(letter__state=State.DELIVERED).first() or _demand()
    user = make_organizer()
    before = ResponseEntry.objects.count()
    try:
        entry = response_record(demand=demand, user=user, status="met",
                                happened_on=timezone.localdate(), note=note, link=link)  # fmt: skip
    except ValidationError:
        assert ResponseEntry.objects.count() == before
    else:
        assert (entry.note == entry.note.strip(), entry.link[:4] in {"", "http"}) == (True, True)
