"""Mailbox keys stored in clear (32 bytes) become wrapped under SECRET_KEY (common/keys.py).

A wrapped key is a Fernet token of 140 bytes, never 32, so each row says which form it is in and
running either direction twice changes nothing. Run it with the SECRET_KEY the instance uses.
"""

from typing import Any

from django.db import migrations

from undersigned.letters.models import MAILBOX_KEYS

CLEAR_LENGTH = 32


def _convert(apps: Any, *, wrap: bool) -> None:
    letter_model = apps.get_model("letters", "Letter")
    rows = letter_model.objects.filter(mailbox_key__isnull=False).values_list("pk", "mailbox_key")
    # Letters are few (one row per campaign): all of them at once.
    for pk, stored in list(rows):
        value = bytes(stored)
        if (len(value) == CLEAR_LENGTH) != wrap:
            continue
        changed = MAILBOX_KEYS.wrap(value) if wrap else MAILBOX_KEYS.unwrap(value)
        letter_model.objects.filter(pk=pk).update(mailbox_key=changed)


def wrap_mailbox_keys(apps: Any, schema_editor: Any) -> None:
    _convert(apps, wrap=True)


def unwrap_mailbox_keys(apps: Any, schema_editor: Any) -> None:
    _convert(apps, wrap=False)


class Migration(migrations.Migration):
    dependencies = [("letters", "0002_versions_milestones")]

    operations = [migrations.RunPython(wrap_mailbox_keys, unwrap_mailbox_keys, elidable=False)]
