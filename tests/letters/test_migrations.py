"""The data migration that wraps mailbox keys kept in clear by earlier versions."""

from __future__ import annotations

import importlib
import secrets

import pytest
from django.apps import apps

from tests.support.factories import make_letter
from undersigned.letters.models import Letter, mailbox_key_of

pytestmark = pytest.mark.django_db

migration = importlib.import_module("undersigned.letters.migrations.0003_wrap_mailbox_keys")


def _stored(letter: Letter) -> bytes | None:
    value = Letter.objects.values_list("mailbox_key", flat=True).get(pk=letter.pk)
    return None if value is None else bytes(value)


def test_wrap_mailbox_keys_wraps_clear_keys_once_and_leaves_the_rest() -> None:
    clear = secrets.token_bytes(32)
    old, new, archived = (make_letter(domains=["example.org"]) for _ in range(3))
    Letter.objects.filter(pk=old.pk).update(mailbox_key=clear)
    Letter.objects.filter(pk=archived.pk).update(mailbox_key=None)
    new_stored = _stored(new)

    migration.wrap_mailbox_keys(apps, None)
    wrapped = _stored(old)
    migration.wrap_mailbox_keys(apps, None)

    assert (len(wrapped or b""), wrapped == _stored(old)) == (140, True)
    assert mailbox_key_of(Letter.objects.get(pk=old.pk)) == clear
    assert (_stored(new), _stored(archived)) == (new_stored, None)


def test_unwrap_mailbox_keys_restores_the_clear_keys() -> None:
    letter = make_letter(domains=["example.org"])
    key = mailbox_key_of(letter)

    migration.unwrap_mailbox_keys(apps, None)

    assert _stored(letter) == key
