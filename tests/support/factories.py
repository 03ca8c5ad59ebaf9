"""Test data made through the ORM, for tests that need a letter or an organizer to exist."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from undersigned.accounts.models import Membership, Role, User
from undersigned.letters.models import Addendum, Demand, DemandText, Letter, LetterText
from undersigned.letters.states import State
from undersigned.letters.versions import version_record
from undersigned.publiclog.models import LogState
from undersigned.publiclog.services import log_open
from undersigned.signing.models import Counter

_serial = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_organizer(email: str | None = None, **extra: Any) -> User:
    email = email or f"organizer{next(_serial)}@organizers.test"
    extra.setdefault("can_create_letters", True)
    return User.objects.create_user(email, PASSWORD, **extra)


def make_letter(
    slug: str | None = None,
    *,
    state: str = State.OPEN,
    domains: list[str] | None = None,
    title: str = "Cancel the contract",
    body: str = "We, the undersigned, ask **leadership** to act.",
    demands: tuple[str, ...] = ("Cancel all active offers", "Publish what we sell"),
    owner: User | None = None,
    arabic: bool = False,
    **extra: Any,
) -> Letter:
    letter = Letter.objects.create(
        slug=slug or f"letter-{next(_serial)}",
        state=state,
        domains=domains if domains is not None else ["example.org"],
        recipient_name="The CEO",
        recipient_email="ceo@example.org",
        **extra,
    )
    LetterText.objects.create(letter=letter, language="en", title=title, body=body)
    if arabic:
        LetterText.objects.create(
            letter=letter, language="ar", title="ألغوا العقد", body="نحن الموقعين أدناه نطالب."
        )
    for position, text in enumerate(demands):
        demand = Demand.objects.create(letter=letter, position=position)
        DemandText.objects.create(demand=demand, language="en", text=text)
        if arabic:
            DemandText.objects.create(demand=demand, language="ar", text=f"مطلب {position + 1}")
    if owner is not None:
        Membership.objects.create(user=owner, letter=letter, role=Role.OWNER)
    if state != State.DRAFT:
        # As opening does: the text people sign is version 1.
        version_record(letter=letter)
    return letter


def make_addendum(
    letter: Letter,
    *,
    title: str = "Contract summary",
    kind: str = "markdown",
    content: bytes = b"# Summary\n\nWhat we found.\n",
    language: str = "en",
    translation_of: Addendum | None = None,
) -> Addendum:
    return Addendum.objects.create(
        letter=letter,
        title=title,
        kind=kind,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        language=language,
        translation_of=translation_of,
    )


def set_counts(letter: Letter, *, pending: int = 0, **per_tier: int) -> None:
    """Counts as signing and the sequencer leave them, e.g. set_counts(letter, public=3).

    The log holds `per_tier`; the counters hold those plus `pending` public signatures that the
    next checkpoint will add.
    """
    for tier, value in per_tier.items():
        extra = pending if tier == "public" else 0
        Counter.objects.create(letter=letter, tier=tier, shard=0, value=value + extra)
    if pending and "public" not in per_tier:
        Counter.objects.create(letter=letter, tier="public", shard=0, value=pending)
    log_open(letter=letter)
    versions = {str(letter.version): sum(per_tier.values())}
    LogState.objects.filter(letter=letter).update(counts=dict(per_tier), version_counts=versions)
