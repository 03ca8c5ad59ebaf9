"""Telling a letter's organizers when it reaches 25, 50, 75 and 100% of its goal, and a day
before its deadline.

Decisions:
- The count is the published one (the log's, as of its latest checkpoint), the number the
  public page shows, so a notice never announces a count the page does not show yet.
- Each milestone is recorded once per letter, ever (a unique constraint on MilestoneNotice), so
  reopening a letter or lowering and raising its goal never repeats a notice.
- A count that passes several goal thresholds at once records all of them but sends one message,
  naming the highest: nobody gets four messages in one minute. The deadline notice is its own
  message.
- Only open letters get notices; a letter with goal 0 gets no goal notices, one without a
  deadline no deadline notice. The deadline notice goes when the deadline is at most 24 hours
  away and not yet past.
- Owners and editors with an active account get them; viewers do not.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from undersigned.accounts.models import Membership, Role
from undersigned.accounts.permissions import roles_allowed
from undersigned.letters.models import Letter, LetterText, Milestone, MilestoneNotice
from undersigned.letters.presentation import letter_url
from undersigned.letters.states import SIGNABLE_STATES
from undersigned.mail.services import mail_send
from undersigned.signing.selectors import published_total

logger = logging.getLogger(__name__)

# Quarters of the goal each goal milestone stands for, lowest first.
GOAL_MILESTONES: tuple[tuple[Milestone, int], ...] = (
    (Milestone.GOAL_25, 1),
    (Milestone.GOAL_50, 2),
    (Milestone.GOAL_75, 3),
    (Milestone.GOAL_100, 4),
)
DEADLINE_NOTICE = timedelta(hours=24)
# The worker runs its jobs several times a second; milestones are not that urgent.
MILESTONES_SWEEP_SECONDS = 30
# Notices go to those who can act on them: editors and owners.
_ORGANIZER_ROLES = roles_allowed(Role.EDITOR)


def milestones_due(*, letter: Letter, count: int, now: datetime) -> list[Milestone]:
    """Every milestone the letter has reached at `count` published signatures and time `now`,
    recorded or not, lowest goal first and the deadline last."""
    if letter.state not in SIGNABLE_STATES:
        return []
    due = [
        milestone
        for milestone, quarters in GOAL_MILESTONES
        if letter.goal > 0 and count * 4 >= letter.goal * quarters
    ]
    if letter.deadline is not None and now < letter.deadline <= now + DEADLINE_NOTICE:
        due.append(Milestone.DEADLINE_24H)
    return due


def milestones_notify(*, letter: Letter) -> int:
    """Record the milestones the letter has newly reached and mail its organizers; returns how
    many notices were recorded."""
    recorded = set(
        MilestoneNotice.objects.filter(letter=letter).values_list("milestone", flat=True)
    )
    return _notify(letter, published_total(letter_id=letter.pk), recorded)


def _notify(letter: Letter, count: int, recorded: set[str]) -> int:
    now = timezone.now()
    due = [m for m in milestones_due(letter=letter, count=count, now=now) if m not in recorded]
    if not due:
        return 0
    with transaction.atomic():
        new = [milestone for milestone in due if _record(letter, milestone, now)]
        goals = [milestone for milestone in new if milestone != Milestone.DEADLINE_24H]
        messages = ([goals[-1]] if goals else []) + [
            milestone for milestone in new if milestone == Milestone.DEADLINE_24H
        ]
        if messages:
            _send(letter, messages, count)
    return len(new)


def _record(letter: Letter, milestone: Milestone, now: datetime) -> bool:
    """Insert the notice row; False if another worker already has (the constraint decides)."""
    try:
        # A savepoint, so that losing the race leaves the outer transaction usable.
        with transaction.atomic():
            MilestoneNotice.objects.create(letter=letter, milestone=milestone, created_at=now)
    except IntegrityError:
        return False
    return True


def _send(letter: Letter, milestones: list[Milestone], count: int) -> None:
    addresses = list(
        Membership.objects.filter(
            letter=letter, role__in=_ORGANIZER_ROLES, user__is_active=True
        ).values_list("user__email", flat=True)
    )
    if not addresses:
        return
    text = LetterText.objects.filter(letter=letter, language=letter.default_language).first()
    context = {
        "title": text.title if text is not None else letter.slug,
        "count": count,
        "goal": letter.goal,
        "deadline": letter.deadline,
        "manage_url": settings.SITE_URL + reverse("manage:letter", kwargs={"slug": letter.slug}),
        "public_url": letter_url(slug=letter.slug),
    }
    for milestone in milestones:
        quarters = dict(GOAL_MILESTONES).get(milestone, 0)
        for address in sorted(addresses):
            mail_send(
                "milestone",
                to=address,
                context={**context, "milestone": milestone.value, "percent": quarters * 25},
            )


def _possible(letter: Letter) -> set[str]:
    """The milestones this letter could still reach, recorded or not."""
    possible = {milestone.value for milestone, _ in GOAL_MILESTONES} if letter.goal > 0 else set()
    if letter.deadline is not None:
        possible.add(Milestone.DEADLINE_24H.value)
    return possible


def milestones_sweep() -> int:
    """Notify every open letter's milestones that are due (the worker runs it every
    MILESTONES_SWEEP_SECONDS across workers: campaign/jobs.py).

    Two queries for all open letters and their notices, then two small indexed reads per letter
    that can still reach a milestone (the log's state row and the letter's counters; no COUNT
    over signatures).
    """
    letters = list(
        Letter.objects.filter(state__in=SIGNABLE_STATES).only(
            "slug", "state", "default_language", "goal", "deadline"
        )
    )
    recorded: defaultdict[int, set[str]] = defaultdict(set)
    notices = MilestoneNotice.objects.filter(letter__state__in=SIGNABLE_STATES)
    for letter_id, milestone in notices.values_list("letter_id", "milestone"):
        recorded[letter_id].add(milestone)
    done = 0
    for letter in letters:
        if _possible(letter) <= recorded[letter.pk]:
            continue
        try:
            done += _notify(letter, published_total(letter_id=letter.pk), recorded[letter.pk])
        except Exception:
            # One letter's failure (a broken template, a database hiccup) must not starve others.
            logger.exception("milestone notices for letter %s failed", letter.pk)
    return done
