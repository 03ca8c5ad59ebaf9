"""Login, password reset and invitations, with email delivered over real SMTP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode

from tests.support.factories import PASSWORD, make_letter, make_organizer
from tests.support.smtp import SmtpSink
from undersigned.accounts.models import Invitation, Membership, Role, User
from undersigned.accounts.services import invitation_create
from undersigned.mail.models import OutboxMessage
from undersigned.mail.services import outbox_run_once

pytestmark = pytest.mark.django_db


def _path(link: str) -> str:
    return link.removeprefix("http://testserver")


def _messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_login_by_email_any_case(client: Client) -> None:
    user = make_organizer("ana@organizers.test")

    response = client.post(
        reverse("accounts:login"), {"username": " Ana@Organizers.TEST ", "password": PASSWORD}
    )

    assert response["Location"] == "/manage/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_wrong_password_shows_error(client: Client) -> None:
    make_organizer("ana@organizers.test")

    response = client.post(
        reverse("accounts:login"), {"username": "ana@organizers.test", "password": "wrong"}
    )

    assert response.status_code == 200
    assert list(response.context["form"].non_field_errors()) == [
        "This email and password do not match an organizer account."
    ]


def test_login_rate_limited_per_client_with_clear_message(client: Client, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (3, 600)}
    make_organizer("ana@organizers.test")
    wrong = {"username": "ana@organizers.test", "password": "wrong"}
    for _ in range(3):
        assert client.post(reverse("accounts:login"), wrong).status_code == 200

    response = client.post(
        reverse("accounts:login"), {"username": "ana@organizers.test", "password": PASSWORD}
    )

    assert response.status_code == 429
    assert (
        response.content.decode().count(
            "Too many attempts from your network. Please wait 10 minutes, then try again."
        )
        == 1
    )
    assert "_auth_user_id" not in client.session
    other_client = Client(REMOTE_ADDR="192.0.2.7")
    assert (
        other_client.post(
            reverse("accounts:login"), {"username": "ana@organizers.test", "password": PASSWORD}
        ).status_code
        == 302
    )


def test_password_reset_shares_login_rate_limit(client: Client, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (2, 600)}
    make_organizer("ana@organizers.test")
    for _ in range(2):
        client.post(reverse("accounts:login"), {"username": "x@example.org", "password": "x"})

    response = client.post(reverse("accounts:password_reset"), {"email": "ana@organizers.test"})

    assert response.status_code == 429
    assert OutboxMessage.objects.count() == 0


def test_logout_ends_session(client: Client) -> None:
    client.force_login(make_organizer())

    client.post(reverse("accounts:logout"))

    assert client.get(reverse("manage:home")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_password_reset_email_over_smtp_sets_new_password(client: Client, smtp: SmtpSink) -> None:
    user = make_organizer("ana@organizers.test")

    response = client.post(reverse("accounts:password_reset"), {"email": "ANA@organizers.test"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert outbox_run_once() == 1

    (message,) = smtp.wait_for("ana@organizers.test")
    assert message.subject == "Choose a new password for undersigned"
    link = message.link("/accounts/password-reset/")
    assert message.html().count(link) == 2
    form_page = client.get(_path(link), follow=True)
    new = "a much better passphrase 42"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )

    assert done["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(new)


@pytest.mark.django_db(transaction=True)
def test_password_reset_unknown_email_sends_nothing_same_answer(
    client: Client, smtp: SmtpSink
) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert (outbox_run_once(), smtp.messages) == (0, [])


@pytest.mark.django_db(transaction=True)
def test_invitation_by_owner_over_smtp_creates_account_and_membership(
    client: Client, smtp: SmtpSink
) -> None:
    owner = make_organizer(display_name="Ana")
    letter = make_letter("the-letter", owner=owner, title="Pause the cluster")
    client.force_login(owner)
    client.post(
        reverse("manage:member_invite", kwargs={"slug": letter.slug}),
        {"email": "ben@example.org", "role": "editor"},
    )
    client.post(reverse("accounts:logout"))
    assert outbox_run_once() == 1

    (message,) = smtp.wait_for("ben@example.org")
    # Python folds a non-ASCII Subject onto a continuation line; readers drop the leading space.
    assert message.subject.strip() == "Invitation to co-organize “Pause the cluster”"
    link = message.link("/accounts/invitations/")
    assert message.text().count("Ana invites you to co-organize the open letter") == 1
    page = client.get(_path(link))
    assert page.context["situation"] == "new_account"
    assert page.content.decode().count("Ana invites you to co-organize a letter, as editor.") == 1
    accepted = client.post(
        _path(link),
        {"display_name": "Ben", "password": PASSWORD, "password_again": PASSWORD},
        follow=True,
    )

    ben = User.objects.get(email="ben@example.org")
    assert accepted.redirect_chain == [(f"/manage/letters/{letter.slug}/", 302)]
    assert Membership.objects.get(user=ben).role == Role.EDITOR
    assert client.get(_path(link)).status_code == 404  # used once


def test_invitation_mismatched_passwords_shown_on_form(client: Client) -> None:
    link = invitation_create(email="ben@example.org", invited_by=None, letter=make_letter())

    response = client.post(
        _path(link.url),
        {"display_name": "Ben", "password": PASSWORD, "password_again": PASSWORD + "!"},
    )

    assert response.context["form"].errors == {"password_again": ["The two passwords differ."]}
    assert User.objects.count() == 0


def test_invitation_weak_password_shown_on_form(client: Client) -> None:
    link = invitation_create(email="ben@example.org", invited_by=None, letter=make_letter())

    response = client.post(
        _path(link.url),
        {"display_name": "Ben", "password": "password", "password_again": "password"},
    )

    assert response.context["form"].errors == {
        "password": [
            "This password is too short. It must contain at least 10 characters.",
            "This password is too common.",
        ]
    }
    assert User.objects.count() == 0


def test_invitation_existing_account_must_log_in_then_accepts(client: Client) -> None:
    ben = make_organizer("ben@example.org")
    letter = make_letter()
    link = invitation_create(email=ben.email, invited_by=None, letter=letter, role=Role.VIEWER)

    before = client.get(_path(link.url))
    client.force_login(ben)
    during = client.get(_path(link.url))
    client.post(_path(link.url))

    assert (before.context["situation"], during.context["situation"]) == ("log_in", "accept")
    assert before.context["login_url"] == "/accounts/login/?" + urlencode({"next": _path(link.url)})
    assert Membership.objects.get(user=ben, letter=letter).role == Role.VIEWER


def test_invitation_logged_in_as_someone_else_not_accepted(client: Client) -> None:
    link = invitation_create(email="ben@example.org", invited_by=None, letter=make_letter())
    client.force_login(make_organizer())

    response = client.post(_path(link.url))

    assert response.context["situation"] == "wrong_account"
    assert (Membership.objects.count(), Invitation.objects.get().accepted_at) == (0, None)


def test_invitation_unknown_token_404_and_no_account(client: Client) -> None:
    response = client.post(
        "/accounts/invitations/not-a-token/",
        {"display_name": "Eve", "password": PASSWORD, "password_again": PASSWORD},
    )

    assert response.status_code == 404
    assert response.content.decode().count("This invitation link is not valid") == 1
    assert User.objects.count() == 0


def test_organizer_invite_by_admin_sends_instance_invitation(client: Client) -> None:
    admin = User.objects.create_superuser("admin@organizers.test", PASSWORD)
    client.force_login(admin)

    client.post(reverse("accounts:organizer_invite"), {"email": "new@example.org"})

    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.letter, invitation.invited_by) == (
        "new@example.org",
        None,
        admin,
    )
    link = re.search(rb"/accounts/invitations/[\w-]+/", bytes(OutboxMessage.objects.get().message))
    assert link is not None
    client.logout()
    page = client.get(link.group(0).decode()).content.decode()
    assert page.count("admin@organizers.test invites you to organize open letters") == 1


def test_organizer_invite_by_non_admin_404(client: Client) -> None:
    client.force_login(make_organizer())

    response = client.post(reverse("accounts:organizer_invite"), {"email": "new@example.org"})

    assert response.status_code == 404
    assert Invitation.objects.count() == 0


def test_no_open_registration_route(client: Client) -> None:
    for path in ["/accounts/signup/", "/accounts/register/"]:
        assert client.get(path).status_code == 404
