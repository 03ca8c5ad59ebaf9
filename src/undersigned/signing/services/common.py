"""Helpers the signing services share: the letter's key, its title, absolute links."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from undersigned.letters.models import Letter, LetterText
from undersigned.letters.states import SIGNABLE_STATES
from undersigned.signing import codes
from undersigned.signing.errors import Closed, UnknownInvite, UsedInvite
from undersigned.signing.models import InviteCode


def signable_key(letter: Letter) -> bytes:
    """The mailbox key of a letter that accepts signatures now."""
    if letter.state not in SIGNABLE_STATES or letter.mailbox_key is None:
        raise Closed()
    return bytes(letter.mailbox_key)


def letter_key(letter: Letter) -> bytes:
    """The mailbox key while it exists (withdrawals go on after a letter closes)."""
    if letter.mailbox_key is None:
        raise Closed()
    return bytes(letter.mailbox_key)


def letter_title(letter: Letter, language: str) -> str:
    titles = dict(
        LetterText.objects.filter(
            letter=letter, language__in={language, letter.default_language}
        ).values_list("language", "title")
    )
    return titles.get(language) or titles.get(letter.default_language) or letter.slug


def absolute(name: str, **kwargs: str) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs)


def invite_take(*, letter: Letter, key: bytes, invite_code: str) -> int:
    """Use up a single-use invite code; its id. Call inside the transaction that spends it.

    The conditional update makes concurrent uses of one code end with exactly one winner.
    """
    code = codes.normalize_invite_code(invite_code)
    if code is None:
        raise UnknownInvite()
    invite = (
        InviteCode.objects.filter(
            letter=letter, code_hash=codes.invite_code_hash(key=key, code=code)
        )
        .values_list("pk", flat=True)
        .first()
    )
    if invite is None:
        raise UnknownInvite()
    taken = InviteCode.objects.filter(pk=invite, used_on__isnull=True).update(
        used_on=timezone.localdate()
    )
    if not taken:
        raise UsedInvite()
    return int(invite)
