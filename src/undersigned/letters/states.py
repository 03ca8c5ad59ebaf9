"""The letter state machine: which states exist, which transitions are allowed, the named sets
of states every rule uses, and the one function that writes a letter's state.

Entering OPEN or ARCHIVED has effects in other apps (the issuance key and the log's genesis;
the purge of every secret that could identify a signer), so organizers' transitions go through
campaign.letters.letter_transition, which writes the state here and then does them. The worker's
delivery closes and delivers letters (campaign's delivery job), which have no such effects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from undersigned.common.errors import ServiceError
from undersigned.common.pagecache import letter_changed

if TYPE_CHECKING:
    from undersigned.letters.models import Letter


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for signatures"
    CLOSED = "closed", "Closed"
    DELIVERED = "delivered", "Delivered"
    ARCHIVED = "archived", "Archived"


TRANSITIONS: dict[str, frozenset[str]] = {
    State.DRAFT: frozenset({State.OPEN, State.ARCHIVED}),
    # Closing early is allowed; reopening a closed letter is too, until it is delivered.
    State.OPEN: frozenset({State.CLOSED}),
    State.CLOSED: frozenset({State.OPEN, State.DELIVERED, State.ARCHIVED}),
    State.DELIVERED: frozenset({State.ARCHIVED}),
    State.ARCHIVED: frozenset(),
}

# Text can be edited freely only while nobody has seen it as final.
EDITABLE_STATES = frozenset({State.DRAFT, State.OPEN})
# Readable by anyone: the letter page, the API, the start page.
PUBLIC_STATES = frozenset({State.OPEN, State.CLOSED, State.DELIVERED})
# The log of an archived letter stays public: it is the record of what was signed.
LOG_PUBLIC_STATES = PUBLIC_STATES | {State.ARCHIVED}
# Accepting signatures, amendments (with their re-confirm requests) and milestone notices.
SIGNABLE_STATES = frozenset({State.OPEN})
# The worker may deliver these (closing an open letter first).
DELIVERABLE_STATES = frozenset({State.OPEN, State.CLOSED})
# Delivered: the PDF is published, and stays so once archived.
DELIVERED_STATES = frozenset({State.DELIVERED, State.ARCHIVED})
# Organizers record the recipient's answers once the letter is delivered.
ANSWERABLE_STATES = frozenset({State.DELIVERED})
# Organizers may write to subscribers while the campaign is public.
UPDATE_STATES = PUBLIC_STATES


class TransitionError(ServiceError):
    status, code = 409, "invalid_transition"
    message = "The letter cannot move to that state now."


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise TransitionError(
            message=f"A letter that is {State(current).label.lower()} cannot become "
            f"{State(target).label.lower()}."
        )


def state_write(letter: Letter, target: str, *, also: tuple[str, ...] = ()) -> None:
    """Move `letter` (locked by the caller) to `target`: the only code that writes a letter's
    state. Raises TransitionError when the state machine does not allow it; `also` names other
    fields the caller changed, saved with the state. The letter's cached pages become stale."""
    check_transition(letter.state, target)
    letter.state = target
    letter.save(update_fields=["state", *also])
    letter_changed(slug=letter.slug)
