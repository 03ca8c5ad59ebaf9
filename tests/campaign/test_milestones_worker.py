"""The real `undersigned worker` mails a milestone notice to the organizers over SMTP."""

from __future__ import annotations

import signal
import time

import pytest

from tests.support import processes
from tests.support.factories import make_letter, make_organizer, set_counts
from tests.support.smtp import SmtpSink
from undersigned.accounts.models import Membership, Role
from undersigned.letters.models import MilestoneNotice

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_mails_milestone_notice_to_organizers_once() -> None:
    owner = make_organizer("owner-milestone@organizers.test")
    viewer = make_organizer("viewer-milestone@organizers.test")
    letter = make_letter("worker-milestone", goal=40, owner=owner)
    Membership.objects.create(user=viewer, letter=letter, role=Role.VIEWER)
    set_counts(letter, public=20)
    with SmtpSink() as sink:
        worker = processes.start("worker", EMAIL_URL=f"smtp://127.0.0.1:{sink.port}")
        try:
            received = sink.wait_for(owner.email, timeout=60)
            time.sleep(1.0)  # a second notice, or one to the viewer, would come now
        finally:
            processes.stop(worker, signal.SIGTERM)
        to_viewer = sink.to(viewer.email)

    assert [message.subject.strip() for message in received] == [
        "“Cancel the contract” has reached 50% of its goal"
    ]
    assert received[0].link("/manage/letters/") == (
        "http://testserver/manage/letters/worker-milestone/"
    )
    assert to_viewer == []
    assert sorted(MilestoneNotice.objects.values_list("milestone", flat=True)) == [
        "goal_25",
        "goal_50",
    ]
