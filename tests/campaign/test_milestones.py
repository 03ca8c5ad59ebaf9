"""Milestone notices: organizers hear once when a letter reaches a quarter of its goal, and a day
before its deadline."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.signing.helpers import sign
from tests.support.factories import make_letter, make_organizer, set_counts
from undersigned.accounts.models import Membership, Role, User
from undersigned.campaign.milestones import milestones_due, milestones_notify
from undersigned.common.jobs import job_named, job_run_if_due
from undersigned.letters.models import Letter, MilestoneNotice
from undersigned.letters.states import State
from undersigned.mail.models import OutboxMessage
from undersigned.publiclog.models import LogState
from undersigned.publiclog.sequencer import log_sequence_all

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TITLE = "Cancel the contract"


def _due(count: int, *, goal: int = 100, state: str = State.OPEN, **extra: object) -> list[str]:
    letter = Letter(state=state, goal=goal, **extra)
    return [str(m) for m in milestones_due(letter=letter, count=count, now=NOW)]


def test_milestones_due_zero_count_reaches_nothing() -> None:
    assert _due(0) == []


def test_milestones_due_24_percent_reaches_nothing() -> None:
    assert _due(24) == []


def test_milestones_due_25_percent_reaches_first_quarter() -> None:
    assert _due(25) == ["goal_25"]


def test_milestones_due_exactly_half_reaches_two_quarters() -> None:
    assert _due(50) == ["goal_25", "goal_50"]


def test_milestones_due_beyond_goal_reaches_all_quarters() -> None:
    assert _due(150) == ["goal_25", "goal_50", "goal_75", "goal_100"]


def test_milestones_due_small_goal_rounds_thresholds_up() -> None:
    # A quarter of 10 is 2.5 signatures: 2 is not there yet, 3 is.
    assert (_due(2, goal=10), _due(3, goal=10)) == ([], ["goal_25"])


def test_milestones_due_goal_zero_has_no_goal_milestones() -> None:
    assert (_due(0, goal=0), _due(500, goal=0)) == ([], [])


def test_milestones_due_deadline_more_than_a_day_away_is_not_due() -> None:
    assert _due(0, deadline=NOW + timedelta(hours=24, seconds=1)) == []


def test_milestones_due_deadline_within_a_day_is_due() -> None:
    assert (
        _due(0, deadline=NOW + timedelta(hours=24)),
        _due(0, deadline=NOW + timedelta(minutes=1)),
    ) == (["deadline_24h"], ["deadline_24h"])


def test_milestones_due_deadline_passed_is_not_due() -> None:
    assert (_due(0, deadline=NOW), _due(0, deadline=NOW - timedelta(hours=1))) == ([], [])


def test_milestones_due_closed_letter_reaches_nothing() -> None:
    deadline = NOW + timedelta(hours=2)
    assert _due(100, state=State.CLOSED, deadline=deadline) == []


def test_milestones_due_goal_and_deadline_together_puts_deadline_last() -> None:
    assert _due(30, deadline=NOW + timedelta(hours=2)) == ["goal_25", "deadline_24h"]


# --- the service ---------------------------------------------------------------------------


def _mail() -> list[tuple[str, str]]:
    """(recipient, subject) of every queued message, in order."""
    found: list[tuple[str, str]] = []
    for row in OutboxMessage.objects.order_by("id"):
        message = message_from_bytes(bytes(row.message), policy=policy.default)
        # Python folds a non-ASCII Subject onto a continuation line; readers drop the leading space.
        subject = str(message["Subject"]).strip()
        found.extend((address, subject) for address in row.recipients)
    return found


def _text(address: str) -> str:
    rows = [row for row in OutboxMessage.objects.order_by("id") if address in row.recipients]
    message = message_from_bytes(bytes(rows[-1].message), policy=policy.default)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _notices(letter: Letter) -> list[str]:
    rows = MilestoneNotice.objects.filter(letter=letter).order_by("milestone")
    return list(rows.values_list("milestone", flat=True))


def _team(letter: Letter, prefix: str) -> dict[str, User]:
    team: dict[str, User] = {}
    for role in (Role.OWNER, Role.EDITOR, Role.VIEWER):
        user = make_organizer(f"{prefix}-{role}@organizers.test")
        Membership.objects.create(user=user, letter=letter, role=role)
        team[role] = user
    return team


@pytest.fixture
def letter(db: None) -> Letter:
    # Another letter at the same count, with its own organizers, made first: nothing may leak.
    other = make_letter("other-letter", goal=100)
    _team(other, "other")
    set_counts(other, public=10)
    letter = make_letter("milestones", goal=100)
    _team(letter, "team")
    return letter


def _set_published(letter: Letter, count: int) -> None:
    LogState.objects.filter(letter=letter).update(counts={"public": count})


def test_milestones_notify_below_first_quarter_sends_nothing(letter: Letter) -> None:
    set_counts(letter, public=24)
    assert (milestones_notify(letter=letter), _mail(), _notices(letter)) == (0, [], [])


def test_milestones_notify_first_quarter_mails_owners_and_editors_only(letter: Letter) -> None:
    set_counts(letter, public=25)
    subject = f"“{TITLE}” has reached 25% of its goal"
    assert milestones_notify(letter=letter) == 1
    assert _mail() == [
        ("team-editor@organizers.test", subject),
        ("team-owner@organizers.test", subject),
    ]
    assert _notices(letter) == ["goal_25"]


def test_milestones_notify_message_names_counts_and_links(letter: Letter) -> None:
    set_counts(letter, public=50)
    milestones_notify(letter=letter)
    lines = _text("team-owner@organizers.test").splitlines()
    assert lines[2] == (
        f"The open letter “{TITLE}” has 50 published signatures, 50% of its goal of 100."
    )
    assert lines[4:9] == [
        "Manage the letter:",
        "http://testserver/manage/letters/milestones/",
        "",
        "The public page:",
        "http://testserver/l/milestones/",
    ]


def test_milestones_notify_jump_past_every_quarter_sends_one_message(letter: Letter) -> None:
    set_counts(letter, public=10)
    assert milestones_notify(letter=letter) == 0
    _set_published(letter, 100)
    assert milestones_notify(letter=letter) == 4
    subject = f"“{TITLE}” has reached its goal"
    assert _mail() == [
        ("team-editor@organizers.test", subject),
        ("team-owner@organizers.test", subject),
    ]
    assert _notices(letter) == ["goal_100", "goal_25", "goal_50", "goal_75"]


def test_milestones_notify_called_twice_sends_once(letter: Letter) -> None:
    set_counts(letter, public=60)
    assert (milestones_notify(letter=letter), milestones_notify(letter=letter)) == (2, 0)
    assert len(_mail()) == 2


def test_milestones_notify_next_quarter_sends_only_the_new_one(letter: Letter) -> None:
    set_counts(letter, public=30)
    milestones_notify(letter=letter)
    OutboxMessage.objects.all().delete()
    _set_published(letter, 80)
    assert milestones_notify(letter=letter) == 2
    assert sorted({subject for _, subject in _mail()}) == [f"“{TITLE}” has reached 75% of its goal"]


def test_milestones_notify_reopened_letter_does_not_repeat(letter: Letter) -> None:
    set_counts(letter, public=100)
    milestones_notify(letter=letter)
    Letter.objects.filter(pk=letter.pk).update(state=State.CLOSED)
    Letter.objects.filter(pk=letter.pk).update(state=State.OPEN)
    letter.refresh_from_db()
    assert milestones_notify(letter=letter) == 0
    assert len(_mail()) == 2


def test_milestones_notify_inactive_organizer_gets_nothing(letter: Letter) -> None:
    User.objects.filter(email="team-editor@organizers.test").update(is_active=False)
    set_counts(letter, public=25)
    milestones_notify(letter=letter)
    assert [address for address, _ in _mail()] == ["team-owner@organizers.test"]


def test_milestones_notify_goal_zero_sends_nothing(letter: Letter) -> None:
    Letter.objects.filter(pk=letter.pk).update(goal=0)
    letter.refresh_from_db()
    set_counts(letter, public=40)
    assert (milestones_notify(letter=letter), _mail()) == (0, [])


def _with_deadline(letter: Letter, delta: timedelta) -> None:
    Letter.objects.filter(pk=letter.pk).update(deadline=timezone.now() + delta)
    letter.refresh_from_db()


def test_milestones_notify_deadline_days_away_sends_nothing(letter: Letter) -> None:
    _with_deadline(letter, timedelta(days=3))
    assert (milestones_notify(letter=letter), _mail()) == (0, [])


def test_milestones_notify_deadline_within_a_day_sends_once(letter: Letter) -> None:
    set_counts(letter, public=3)
    _with_deadline(letter, timedelta(hours=5))
    assert (milestones_notify(letter=letter), milestones_notify(letter=letter)) == (1, 0)
    subject = f"“{TITLE}” closes in less than 24 hours"
    assert _mail() == [
        ("team-editor@organizers.test", subject),
        ("team-owner@organizers.test", subject),
    ]
    assert "It has 3 published signatures of its goal of 100." in _text(
        "team-owner@organizers.test"
    )
    assert _notices(letter) == ["deadline_24h"]


def test_milestones_notify_deadline_passed_sends_nothing(letter: Letter) -> None:
    _with_deadline(letter, -timedelta(minutes=1))
    assert (milestones_notify(letter=letter), _mail()) == (0, [])


def test_milestones_notify_closed_letter_sends_nothing(letter: Letter) -> None:
    set_counts(letter, public=100)
    _with_deadline(letter, timedelta(hours=5))
    Letter.objects.filter(pk=letter.pk).update(state=State.CLOSED)
    letter.refresh_from_db()
    assert (milestones_notify(letter=letter), _mail(), _notices(letter)) == (0, [], [])


def test_milestones_notify_goal_and_deadline_send_one_message_each(letter: Letter) -> None:
    set_counts(letter, public=100)
    _with_deadline(letter, timedelta(hours=5))
    assert milestones_notify(letter=letter) == 5
    assert sorted(_mail()) == [
        ("team-editor@organizers.test", f"“{TITLE}” closes in less than 24 hours"),
        ("team-editor@organizers.test", f"“{TITLE}” has reached its goal"),
        ("team-owner@organizers.test", f"“{TITLE}” closes in less than 24 hours"),
        ("team-owner@organizers.test", f"“{TITLE}” has reached its goal"),
    ]


def test_milestones_notify_waits_for_the_sequencer(letter: Letter) -> None:
    Letter.objects.filter(pk=letter.pk).update(goal=4)
    letter.refresh_from_db()
    sign(letter, "ana@example.org")
    assert (milestones_notify(letter=letter), _notices(letter)) == (0, [])

    log_sequence_all()
    assert milestones_notify(letter=letter) == 1
    assert "has 1 published signature, 25% of its goal of 4." in _text("team-owner@organizers.test")


# --- the worker's job ----------------------------------------------------------------------


def test_milestones_job_runs_once_per_interval(letter: Letter) -> None:
    set_counts(letter, public=25)
    assert job_run_if_due(job_named("milestones")) == 1
    _set_published(letter, 50)
    assert (
        job_run_if_due(job_named("milestones")) == 0
    )  # throttled: another worker (or this one) just swept
    cache.clear()
    assert job_run_if_due(job_named("milestones")) == 1
    assert _notices(letter) == ["goal_25", "goal_50"]


def test_milestones_job_skips_closed_letters(letter: Letter) -> None:
    set_counts(letter, public=100)
    Letter.objects.filter(pk=letter.pk).update(state=State.CLOSED)
    assert (job_run_if_due(job_named("milestones")), _notices(letter), _mail()) == (0, [], [])


def test_milestones_job_reads_a_fixed_number_of_queries_per_letter(letter: Letter) -> None:
    finished = make_letter("finished", goal=4)
    set_counts(finished, public=4)
    for milestone in ("goal_25", "goal_50", "goal_75", "goal_100"):
        MilestoneNotice.objects.create(letter=finished, milestone=milestone)
    set_counts(letter, public=1)
    with CaptureQueriesContext(connection) as queries:
        assert job_run_if_due(job_named("milestones")) == 0
    sql = [query["sql"] for query in queries.captured_queries]
    # Letters, notices, then two reads for each letter that can still reach a milestone (the
    # finished letter has reached them all); the throttle lives in the cache.
    assert len(sql) == 2 + 2 * 2
    assert [statement for statement in sql if "COUNT(" in statement.upper()] == []


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_milestones_notify_in_parallel_sends_one_set_of_messages() -> None:
    letter = make_letter("parallel", goal=100, deadline=timezone.now() + timedelta(hours=5))
    _team(letter, "team")
    set_counts(letter, public=100)
    barrier = threading.Barrier(8)

    def notify(_: int) -> int:
        try:
            barrier.wait()
            return milestones_notify(letter=Letter.objects.get(pk=letter.pk))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        recorded = sorted(pool.map(notify, range(8)))

    assert sum(recorded) == 5
    assert _notices(letter) == ["deadline_24h", "goal_100", "goal_25", "goal_50", "goal_75"]
    assert sorted(_mail()) == [
        ("team-editor@organizers.test", f"“{TITLE}” closes in less than 24 hours"),
        ("team-editor@organizers.test", f"“{TITLE}” has reached its goal"),
        ("team-owner@organizers.test", f"“{TITLE}” closes in less than 24 hours"),
        ("team-owner@organizers.test", f"“{TITLE}” has reached its goal"),
    ]
