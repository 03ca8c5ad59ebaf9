"""Retention: the purge at archive time and the expiry sweep."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.signing.helpers import details, sign, start
from tests.support.factories import make_letter
from undersigned.common.jobs import job_named, job_run_if_due
from undersigned.letters.models import Letter
from undersigned.signing import services
from undersigned.signing.errors import Closed
from undersigned.signing.models import InviteCode, Signature, Verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


def _fill(letter: Letter) -> None:
    sign(letter, "ana@example.org", updates=True)  # type: ignore[arg-type]
    start(letter, "pending@example.org")
    used, *_unused = services.invite_batch_create(letter=letter, size=3)
    services.signing_with_invite(letter=letter, invite_code=used, details=details())


def test_purge_destroys_key_verifications_addresses_and_unused_codes(letter: Letter) -> None:
    _fill(letter)

    report = services.letter_secrets_purge(letter=letter)

    assert report == services.PurgeReport(
        mailbox_key=True, verifications=2, updates_addresses=1, invite_codes=2
    )
    assert Letter.objects.get(pk=letter.pk).mailbox_key is None
    assert (Verification.objects.count(), InviteCode.objects.count()) == (0, 1)
    assert Signature.objects.filter(updates_address__isnull=False).count() == 0
    assert Signature.objects.count() == 2


def test_purge_twice_reports_nothing_left(letter: Letter) -> None:
    services.letter_secrets_purge(letter=letter)

    assert services.letter_secrets_purge(letter=letter) == services.PurgeReport(
        mailbox_key=False, verifications=0, updates_addresses=0, invite_codes=0
    )


def test_purged_letter_cannot_be_signed(letter: Letter) -> None:
    services.letter_secrets_purge(letter=letter)

    with pytest.raises(Closed):
        start(letter, "ana@example.org")


def test_purge_command_prints_what_it_removed(letter: Letter) -> None:
    _fill(letter)
    out = io.StringIO()

    call_command("purge_letter_secrets", letter.slug, stdout=out)

    assert out.getvalue().splitlines() == [
        "mailbox key: destroyed",
        "pending verifications deleted: 2",
        "update addresses erased: 1",
        "unused invite codes deleted: 2",
        "issuance key: already gone or never made",
        "mailboxes that took anonymous tokens forgotten: 0",
    ]


def test_purge_command_unknown_slug_fails() -> None:
    with pytest.raises(CommandError):
        call_command("purge_letter_secrets", "no-such-letter")


def test_expire_deletes_only_expired_verifications(letter: Letter) -> None:
    start(letter, "old@example.org")
    start(letter, "new@example.org")
    Verification.objects.filter(pk=Verification.objects.order_by("id").first().pk).update(  # type: ignore[union-attr]
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert services.verifications_expire() == 1
    assert Verification.objects.count() == 1


def test_expire_job_runs_at_most_once_a_minute(letter: Letter) -> None:
    start(letter, "old@example.org")
    Verification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    first = job_run_if_due(job_named("verifications-expire"))
    start(letter, "old2@example.org")
    Verification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert (
        first,
        job_run_if_due(job_named("verifications-expire")),
        Verification.objects.count(),
    ) == (1, 0, 1)
