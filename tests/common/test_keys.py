"""Wrapped secrets: opened only with the environment's keys, rotated through fallbacks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import make_letter
from undersigned.common.keys import InvalidToken, RewrapCount, Wrapping, rewrap_column
from undersigned.letters.models import MAILBOX_KEYS, Letter, mailbox_key_of
from undersigned.signing.errors import Closed
from undersigned.signing.services.common import letter_key

OLD = "old-secret-key-that-is-long-enough-0123456789"
NEW = "new-secret-key-that-is-long-enough-9876543210"
THIEF = "a-thiefs-guess-that-is-long-enough-0000000000"
WRAPPING = Wrapping("test-secret")


def test_wrap_opens_only_with_the_same_secret_key(settings: Any) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    token = WRAPPING.wrap(b"k" * 32)
    assert WRAPPING.unwrap(token) == b"k" * 32
    settings.SECRET_KEY = THIEF
    with pytest.raises(InvalidToken):
        WRAPPING.unwrap(token)


def test_wrap_labels_keep_kinds_of_secret_apart(settings: Any) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    token = WRAPPING.wrap(b"k" * 32)
    with pytest.raises(InvalidToken):
        Wrapping("another-secret").unwrap(token)


def test_unwrap_reads_fallbacks_and_rewrap_moves_to_the_current_key(
    settings: Any,
) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    token = WRAPPING.wrap(b"k" * 32)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    fresh = WRAPPING.rewrap(token)
    assert fresh is not None
    settings.SECRET_KEY_FALLBACKS = []
    assert (WRAPPING.unwrap(fresh), WRAPPING.rewrap(fresh)) == (b"k" * 32, None)


@pytest.mark.django_db
def test_letter_mailbox_key_from_a_database_copy_does_not_open_with_another_secret_key(
    settings: Any,
) -> None:
    letter = make_letter(domains=["example.org"])
    key = mailbox_key_of(letter)
    stored = bytes(Letter.objects.values_list("mailbox_key", flat=True).get(pk=letter.pk))
    assert (len(key or b""), stored == key, MAILBOX_KEYS.unwrap(stored) == key) == (32, False, True)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = THIEF, []
    with pytest.raises(InvalidToken):
        mailbox_key_of(Letter.objects.get(pk=letter.pk))


@pytest.mark.django_db
def test_letter_key_of_an_archived_letter_is_closed() -> None:
    letter = make_letter(domains=["example.org"])
    Letter.objects.filter(pk=letter.pk).update(mailbox_key=None)
    with pytest.raises(Closed):
        letter_key(Letter.objects.get(pk=letter.pk))


@pytest.mark.django_db
def test_rewrap_column_counts_and_is_idempotent(settings: Any) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    letters = [make_letter(domains=["example.org"]) for _ in range(3)]
    keys = [mailbox_key_of(letter) for letter in letters]
    settings.SECRET_KEY = NEW
    current = make_letter(domains=["example.org"])
    Letter.objects.filter(pk=letters[2].pk).update(mailbox_key=Wrapping("lost").wrap(b"x"))
    settings.SECRET_KEY_FALLBACKS = [OLD]

    first = rewrap_column(Letter, "mailbox_key", MAILBOX_KEYS, batch_size=2)
    again = rewrap_column(Letter, "mailbox_key", MAILBOX_KEYS, batch_size=2)

    settings.SECRET_KEY_FALLBACKS = []
    reread = [mailbox_key_of(Letter.objects.get(pk=letter.pk)) for letter in letters[:2]]
    assert (first, again, reread) == (
        RewrapCount("letters_letter", "mailbox_key", rewrapped=2, current=1, unreadable=1),
        RewrapCount("letters_letter", "mailbox_key", rewrapped=0, current=3, unreadable=1),
        keys[:2],
    )
    assert mailbox_key_of(current) is not None


@pytest.mark.django_db
def test_rewrap_column_does_not_bring_back_a_key_destroyed_meanwhile(settings: Any) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    letter = make_letter(domains=["example.org"])
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]

    class ArchivedMeanwhile(Wrapping):
        """The letter is archived between the batch's read and its write."""

        def rewrap(self, token: bytes) -> bytes | None:
            Letter.objects.filter(pk=letter.pk).update(mailbox_key=None)
            return super().rewrap(token)

    count = rewrap_column(Letter, "mailbox_key", ArchivedMeanwhile(MAILBOX_KEYS.label))

    stored = Letter.objects.values_list("mailbox_key", flat=True).get(pk=letter.pk)
    assert (count.rewrapped, stored) == (0, None)
