"""Helpers the signing services share: the letter's key, its title, absolute links."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from undersigned.letters.models import Letter, LetterText
from undersigned.letters.states import SIGNABLE_STATES
from undersigned.signing.errors import Closed


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
