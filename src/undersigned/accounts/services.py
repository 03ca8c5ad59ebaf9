"""Organizer accounts and invitations. Each function is one transaction.

There is no open registration: an account exists because an instance admin or a letter's owner
invited its email address, or because an operator ran `undersigned createorganizer`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from undersigned.accounts.models import Invitation, Membership, Role, User
from undersigned.common.errors import ServiceError
from undersigned.common.text import clean_text
from undersigned.letters.models import Letter
from undersigned.letters.presentation import letter_title
from undersigned.mail.services import mail_send

INVITATION_LIFETIME = timedelta(days=7)
# Bounds the mail an owner's (possibly stolen) account can make the instance send.
MAX_PENDING_INVITATIONS_PER_LETTER = 50
DISPLAY_NAME_MAX = 120


class InvitationInvalid(ServiceError):
    """The link is unknown, expired or used; the three look the same to whoever holds it."""

    status, code = 404, "invalid_invitation"
    message = "This invitation link is not valid: it may have expired or been used already."


@dataclass(frozen=True)
class InvitationLink:
    invitation: Invitation
    # The only place the token exists in clear: the database keeps its SHA-256.
    url: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_clean(value: str, *, field: str = "email") -> str:
    """A single, lower-cased address, as the user manager stores it."""
    try:
        address = clean_text(value, field="email address", max_length=254).lower()
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError(
            {field: "Please enter a valid email address, like name@example.org."}
        ) from exc
    return address


def _password_set(user: User, password: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    user.set_password(password)


def _display_name_clean(value: str, *, required: bool = True) -> str:
    try:
        name = clean_text(value, field="name", max_length=DISPLAY_NAME_MAX)
    except ValidationError as exc:
        raise ValidationError({"display_name": exc.error_list}) from exc
    if required and not name:
        raise ValidationError({"display_name": "Please enter the name your co-organizers know."})
    return name


@transaction.atomic
def organizer_create(
    *, email: str, password: str, display_name: str = "", can_create_letters: bool = True
) -> User:
    """An organizer account made directly, for operators (the command line and the demo)."""
    address = email_clean(email)
    if User.objects.filter(email=address).exists():
        raise ValidationError({"email": "An account with this email address already exists."})
    user = User(
        email=address,
        display_name=_display_name_clean(display_name, required=False),
        can_create_letters=can_create_letters,
    )
    _password_set(user, password)
    user.save()
    return user


@transaction.atomic
def invitation_create(
    *,
    email: str,
    invited_by: User | None,
    letter: Letter | None = None,
    role: Role = Role.EDITOR,
    send_email: bool = True,
) -> InvitationLink:
    """Invite someone: with a letter, to co-organize it in `role`; without, to start letters.

    Authorization is the caller's (access_letter with Role.OWNER, or
    access_can_invite_organizers). A fresh invitation replaces an unused earlier one for the
    same person and letter, so at most one live link exists for each.
    """
    address = email_clean(email)
    if role not in Role.values:
        raise ValidationError({"role": "Please choose owner, editor or viewer."})
    role = Role(role)
    if letter is not None:
        if Membership.objects.filter(letter=letter, user__email=address).exists():
            raise ValidationError({"email": "This person is already an organizer of this letter."})
        pending = Invitation.objects.filter(
            letter=letter, accepted_at__isnull=True, expires_at__gt=timezone.now()
        ).exclude(email=address)
        if pending.count() >= MAX_PENDING_INVITATIONS_PER_LETTER:
            raise ValidationError(
                "This letter has too many unanswered invitations. "
                "Wait until some are accepted or expire."
            )
    elif User.objects.filter(email=address, can_create_letters=True).exists():
        raise ValidationError({"email": "This person can already start letters."})
    Invitation.objects.filter(email=address, letter=letter, accepted_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        email=address,
        letter=letter,
        role=role,
        token_hash=token_hash(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    url = settings.SITE_URL + reverse("accounts:invitation", kwargs={"token": token})
    if send_email:
        mail_send(
            "invitation",
            to=address,
            context={
                "inviter": str(invited_by) if invited_by else "",
                "letter_title": letter_title(letter, letter.default_language) if letter else "",
                "role": role.label.lower(),
                "url": url,
                "expires": invitation.expires_at,
                "site_url": settings.SITE_URL,
            },
        )
    return InvitationLink(invitation=invitation, url=url)


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None, display_name: str = "", password: str = ""
) -> User:
    """Use an invitation once. Returns the organizer it now belongs to.

    With `user` (someone logged in), the invitation must be for that account's email; it then
    adds the membership (or the right to start letters). Without, it creates the account for the
    invited email with the given name and password.
    """
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=token_hash(token), accepted_at__isnull=True)
        .filter(expires_at__gt=timezone.now())
        .first()
    )
    # The conditional update, not the read, decides who used the link (SQLite ignores FOR UPDATE).
    if invitation is None or not Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True
    ).update(accepted_at=timezone.now()):
        raise InvitationInvalid()
    letter_id = invitation.letter_id
    if user is None:
        if User.objects.filter(email=invitation.email).exists():
            raise ValidationError(
                "An account with this email address already exists. "
                "Please log in, then open the invitation link again.",
                code="account_exists",
            )
        user = User(
            email=invitation.email,
            display_name=_display_name_clean(display_name),
            can_create_letters=letter_id is None,
        )
        _password_set(user, password)
        user.save()
    elif user.email != invitation.email:
        raise ValidationError(
            "This invitation was sent to another email address. "
            "Please log out, then open the link again.",
            code="wrong_account",
        )
    elif letter_id is None and not user.can_create_letters:
        user.can_create_letters = True
        user.save(update_fields=["can_create_letters"])
    if letter_id is not None:
        # Someone who became a member meanwhile keeps the role they already hold.
        Membership.objects.get_or_create(
            user=user, letter_id=letter_id, defaults={"role": invitation.role}
        )
    return user
