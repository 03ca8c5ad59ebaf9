"""Reads about organizers: their letters, a letter's team, and invitations."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from undersigned.accounts.models import Invitation, Membership, User
from undersigned.accounts.services import token_hash
from undersigned.letters.models import Letter, LetterText


def organizer_letters(*, user: User) -> QuerySet[Membership]:
    """The user's memberships with their letters, each annotated with the default-language title."""
    title = LetterText.objects.filter(
        letter=OuterRef("letter"), language=OuterRef("letter__default_language")
    ).values("title")[:1]
    return (
        Membership.objects.filter(user=user)
        .select_related("letter")
        .defer("letter__mailbox_key")
        .annotate(title=Subquery(title))
        .order_by("-letter__created_on", "letter__slug")
    )


def letter_members(*, letter: Letter) -> QuerySet[Membership]:
    return Membership.objects.filter(letter=letter).select_related("user").order_by("user__email")


def letter_pending_invitations(*, letter: Letter) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        letter=letter, accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("email")


def invitation_usable(*, token: str) -> Invitation | None:
    """The unused, unexpired invitation behind a link's token, if any."""
    return (
        Invitation.objects.select_related("letter", "invited_by")
        .filter(token_hash=token_hash(token), accepted_at__isnull=True)
        .filter(expires_at__gt=timezone.now())
        .first()
    )


def account_exists(*, email: str) -> bool:
    return User.objects.filter(email=email).exists()
