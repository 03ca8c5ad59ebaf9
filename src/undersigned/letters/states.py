"""The letter state machine: the one place that says which transitions are allowed."""

from __future__ import annotations

from django.db import models


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
PUBLIC_STATES = frozenset({State.OPEN, State.CLOSED, State.DELIVERED})
SIGNABLE_STATES = frozenset({State.OPEN})


class TransitionError(Exception):
    pass


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise TransitionError(
            f"A letter that is {State(current).label.lower()} cannot become "
            f"{State(target).label.lower()}."
        )
