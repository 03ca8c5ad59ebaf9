"""Operators' account commands: `createorganizer` and `resettwofactor`."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_static.models import StaticDevice

from tests.support.factories import make_organizer
from tests.support.totp import totp_code
from undersigned.accounts.models import Invitation, User
from undersigned.accounts.services import token_hash
from undersigned.accounts.twofactor import (
    sign_in_failed,
    sign_in_locked,
    totp_device_confirm,
    totp_device_start,
    two_factor_enrolled,
)
from undersigned.mail.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_createorganizer_prints_invitation_link_without_sending() -> None:
    out = StringIO()

    call_command("createorganizer", "New@Example.org", stdout=out)

    match = re.search(r"http://testserver/accounts/invitations/(\S+)/$", out.getvalue(), re.M)
    assert match is not None
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.letter, invitation.token_hash) == (
        "new@example.org",
        None,
        token_hash(match.group(1)),
    )
    assert OutboxMessage.objects.count() == 0


def test_createorganizer_send_also_emails_link() -> None:
    call_command("createorganizer", "new@example.org", "--send", stdout=StringIO())

    assert OutboxMessage.objects.get().recipients == ["new@example.org"]


def test_createorganizer_password_creates_account_and_prints_password_once() -> None:
    out = StringIO()

    call_command("createorganizer", "new@example.org", "--password", stdout=out)

    match = re.search(r"Password: (\S+)$", out.getvalue(), re.M)
    assert match is not None
    user = User.objects.get()
    assert (user.can_create_letters, user.check_password(match.group(1))) == (True, True)
    assert user.password != match.group(1)


@pytest.mark.parametrize("args", [["not-an-email"], ["taken@example.org", "--password"]])
def test_createorganizer_bad_input_is_command_error(args: list[str]) -> None:
    make_organizer("taken@example.org")

    with pytest.raises(CommandError):
        call_command("createorganizer", *args, stdout=StringIO())


def test_resettwofactor_removes_every_second_factor() -> None:
    user = make_organizer("ana@organizers.test")
    other = make_organizer("bo@organizers.test")
    for owner in (user, other):
        device = totp_device_start(user=owner)
        totp_device_confirm(user=owner, code=totp_code(device))
    out = StringIO()

    call_command("resettwofactor", "Ana@Organizers.test", stdout=out)

    assert out.getvalue() == "Removed 2 second factor(s) of ana@organizers.test.\n"
    assert two_factor_enrolled(user=user) is False
    assert StaticDevice.objects.filter(user=user).count() == 0
    assert two_factor_enrolled(user=other) is True


def test_resettwofactor_unknown_email_refused() -> None:
    with pytest.raises(CommandError, match=r"^No organizer account has the email x@y\.test\.$"):
        call_command("resettwofactor", "x@y.test", stdout=StringIO())


def test_unlockaccount_lifts_the_sign_in_lock(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login-account": (2, 900)}
    for _ in range(2):
        sign_in_failed(email="ana@organizers.test")
    out = StringIO()

    call_command("unlockaccount", " Ana@Organizers.test", stdout=out)

    assert sign_in_locked(email="ana@organizers.test") is False
    assert out.getvalue() == (
        "Failed sign-ins of ana@organizers.test are forgotten; it is not locked.\n"
    )
