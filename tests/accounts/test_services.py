"""Invitations and organizer accounts: tokens stored only as hashes, one use, seven days."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.support.factories import PASSWORD, make_letter, make_organizer
from undersigned.accounts.models import Invitation, Membership, Role, User
from undersigned.accounts.services import (
    InvitationInvalid,
    invitation_accept,
    invitation_create,
    organizer_create,
)
from undersigned.mail.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_invitation_create_stores_only_token_hash_and_queues_mail() -> None:
    owner = make_organizer(display_name="Ana")
    letter = make_letter(owner=owner)

    link = invitation_create(
        email=" Ben@Example.ORG ", invited_by=owner, letter=letter, role=Role.VIEWER
    )

    token = _token(link.url)
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.token_hash) == (
        "ben@example.org",
        Role.VIEWER,
        hashlib.sha256(token.encode()).hexdigest(),
    )
    assert link.url == f"http://testserver/accounts/invitations/{token}/"
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert OutboxMessage.objects.get().recipients == ["ben@example.org"]
    assert token.encode() in bytes(OutboxMessage.objects.get().message)


def test_invitation_create_replaces_earlier_unused_invitation() -> None:
    letter = make_letter()
    first = invitation_create(email="ben@example.org", invited_by=None, letter=letter)
    second = invitation_create(email="ben@example.org", invited_by=None, letter=letter)

    assert list(Invitation.objects.values_list("pk", flat=True)) == [second.invitation.pk]
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=_token(first.url), user=None, display_name="Ben", password=PASSWORD)


def test_invitation_create_member_already_refused() -> None:
    member = make_organizer()
    letter = make_letter(owner=member)

    with pytest.raises(ValidationError) as excinfo:
        invitation_create(email=member.email.upper(), invited_by=None, letter=letter)

    assert excinfo.value.message_dict == {
        "email": ["This person is already an organizer of this letter."]
    }


@pytest.mark.parametrize("email", ["not an email", "a@b", "ben\u202e@example.org", ""])
def test_invitation_create_invalid_email_refused(email: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        invitation_create(email=email, invited_by=None, letter=make_letter())

    assert list(excinfo.value.message_dict) == ["email"]
    assert Invitation.objects.count() == 0


def test_invitation_create_unknown_role_refused() -> None:
    role: Any = "admin"  # what a tampered form would send

    with pytest.raises(ValidationError) as excinfo:
        invitation_create(email="ben@example.org", invited_by=None, letter=make_letter(), role=role)

    assert list(excinfo.value.message_dict) == ["role"]


def test_invitation_accept_new_account_gets_membership() -> None:
    letter = make_letter()
    link = invitation_create(
        email="ben@example.org", invited_by=None, letter=letter, role=Role.EDITOR
    )

    user = invitation_accept(
        token=_token(link.url), user=None, display_name="Ben", password=PASSWORD
    )

    assert (user.email, user.display_name, user.can_create_letters) == (
        "ben@example.org",
        "Ben",
        False,
    )
    assert user.check_password(PASSWORD)
    assert list(Membership.objects.values_list("user", "letter", "role")) == [
        (user.pk, letter.pk, Role.EDITOR)
    ]
    assert Invitation.objects.get().accepted_at is not None


def test_invitation_accept_instance_invitation_lets_existing_user_create_letters() -> None:
    user = make_organizer(can_create_letters=False)
    link = invitation_create(email=user.email, invited_by=None)

    assert invitation_accept(token=_token(link.url), user=user) == user

    user.refresh_from_db()
    assert user.can_create_letters is True


def test_invitation_accept_twice_refused() -> None:
    link = invitation_create(email="ben@example.org", invited_by=None, letter=make_letter())
    invitation_accept(token=_token(link.url), user=None, display_name="Ben", password=PASSWORD)

    with pytest.raises(InvitationInvalid):
        invitation_accept(token=_token(link.url), user=None, display_name="B", password=PASSWORD)

    assert User.objects.count() == 1


def test_invitation_accept_expired_refused() -> None:
    link = invitation_create(email="ben@example.org", invited_by=None, letter=make_letter())
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(InvitationInvalid):
        invitation_accept(token=_token(link.url), user=None, display_name="Ben", password=PASSWORD)

    assert (User.objects.count(), Invitation.objects.get().accepted_at) == (0, None)


def test_invitation_accept_unknown_token_refused() -> None:
    with pytest.raises(InvitationInvalid):
        invitation_accept(token="made-up", user=None, display_name="Ben", password=PASSWORD)


def test_invitation_accept_wrong_account_refused_and_link_stays_usable() -> None:
    link = invitation_create(email="ben@example.org", invited_by=None, letter=make_letter())

    with pytest.raises(ValidationError) as excinfo:
        invitation_accept(token=_token(link.url), user=make_organizer())

    assert excinfo.value.messages == [
        "This invitation was sent to another email address. "
        "Please log out, then open the link again."
    ]
    assert Invitation.objects.get().accepted_at is None


def test_invitation_accept_weak_password_refused_and_link_stays_usable() -> None:
    link = invitation_create(email="ben@example.org", invited_by=None, letter=make_letter())

    with pytest.raises(ValidationError) as excinfo:
        invitation_accept(token=_token(link.url), user=None, display_name="Ben", password="12345")

    assert list(excinfo.value.message_dict) == ["password"]
    assert (User.objects.count(), Invitation.objects.get().accepted_at) == (0, None)


def test_invitation_accept_bidi_in_name_refused() -> None:
    link = invitation_create(email="ben@example.org", invited_by=None, letter=make_letter())

    with pytest.raises(ValidationError) as excinfo:
        invitation_accept(
            token=_token(link.url), user=None, display_name="Ben\u202e", password=PASSWORD
        )

    assert excinfo.value.message_dict == {
        "display_name": [
            "The name contains invisible direction-changing characters. Please remove them."
        ]
    }


def test_organizer_create_makes_account_that_can_create_letters() -> None:
    user = organizer_create(email="Op@Example.org", password=PASSWORD)

    assert (user.email, user.can_create_letters, user.check_password(PASSWORD)) == (
        "op@example.org",
        True,
        True,
    )


def test_organizer_create_existing_email_refused() -> None:
    existing = make_organizer()

    with pytest.raises(ValidationError) as excinfo:
        organizer_create(email=existing.email, password=PASSWORD)

    assert excinfo.value.message_dict == {
        "email": ["An account with this email address already exists."]
    }
