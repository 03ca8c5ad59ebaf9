"""Who may do what. Every organizer view asks one of these functions, and nothing else.

One vocabulary gates and shows: a view refuses with access_letter(..., role=R) and decides
which buttons to show with role_allows(role, R), so a button is shown exactly when pressing it
is allowed. Viewers read; editors change texts, signatures, answers and updates; owners
open, close, archive and deliver the letter and invite organizers.

A person who is not an organizer of a letter gets the same 404 whether or not the letter exists,
so the dashboard cannot be used to discover other letters.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from undersigned.accounts.models import Membership, Role, User
from undersigned.letters.models import Letter
from undersigned.letters.states import LOG_PUBLIC_STATES, PUBLIC_STATES

_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


def role_allows(role: Role | str | None, needed: Role) -> bool:
    """Whether an organizer holding `role` (None: no role) may do what needs `needed`."""
    return role is not None and _RANK[Role(role)] >= _RANK[needed]


def roles_allowed(needed: Role) -> list[Role]:
    """Every role that may do what needs `needed`, e.g. for a query over memberships."""
    return [role for role in Role if role_allows(role, needed)]


class NotFound(Http404):
    def __init__(self) -> None:
        super().__init__("There is nothing here.")


def access_letter(*, user: User | AnonymousUser, slug: str, role: Role = Role.VIEWER) -> Letter:
    """The letter, if `user` holds at least `role` on it; else the same 404 as a missing one."""
    if not user.is_authenticated or not user.is_active:
        raise NotFound()
    membership = (
        Membership.objects.select_related("letter")
        .filter(user_id=user.pk, letter__slug=slug)
        .first()
    )
    if membership is None or not role_allows(membership.role, role):
        raise NotFound()
    return membership.letter


def access_role(*, user: User | AnonymousUser, letter: Letter) -> Role | None:
    if not user.is_authenticated:
        return None
    role = Membership.objects.filter(user_id=user.pk, letter=letter).values_list("role", flat=True)
    return Role(role[0]) if role else None


def access_can_create_letters(*, user: User | AnonymousUser) -> bool:
    return bool(
        user.is_authenticated and user.is_active and getattr(user, "can_create_letters", False)
    )


def access_can_invite_organizers(*, user: User | AnonymousUser) -> bool:
    """Only instance admins invite organizers who may start letters of their own."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def access_public_letter(*, slug: str) -> Letter:
    """A letter the public may see: drafts and archived letters look like missing ones."""
    letter = Letter.objects.filter(slug=slug, state__in=PUBLIC_STATES).first()
    if letter is None:
        raise NotFound()
    return letter


def access_public_log(*, slug: str) -> Letter:
    """A letter whose log the public may read: as for the page, and also once archived.

    The log is how anyone checks the count, so it outlives the campaign; drafts have none.
    """
    letter = Letter.objects.filter(slug=slug, state__in=LOG_PUBLIC_STATES).first()
    if letter is None:
        raise NotFound()
    return letter
