"""Rotating SECRET_KEY: the old one in SECRET_KEY_FALLBACKS keeps every letter working, and after
`undersigned rotate-keys` the fallback can go."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from tests.signing.anonymous_helpers import token_by_email
from tests.signing.helpers import code_in, last_message, sign, start
from tests.support.factories import make_letter
from undersigned.common.keys import InvalidToken
from undersigned.letters.models import Letter
from undersigned.publiclog.keys import load_signer
from undersigned.publiclog.models import LogState
from undersigned.publiclog.sequencer import log_sequence
from undersigned.signing import services
from undersigned.signing.errors import AlreadySigned
from undersigned.signing.mailbox import decrypt_address
from undersigned.signing.models import IssuanceKey, Signature, Verification
from undersigned.signing.services.common import letter_key
from undersigned.signing.services.issuance_keys import issuer_of

pytestmark = pytest.mark.django_db

NEW = "rotated-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def letter() -> Letter:
    """A letter with everything wrapped under the first key: a signer who asked for updates, an
    issuance key, a log with a signed checkpoint."""
    letter = make_letter(domains=["example.org"])
    sign(letter, "ana@example.org", updates=True)  # type: ignore[arg-type]
    services.anonymous_open(letter=letter)
    assert log_sequence(letter_id=letter.pk) > 0
    return Letter.objects.get(pk=letter.pk)


def _rotate(settings: Any) -> str:
    settings.SECRET_KEY_FALLBACKS = [django_settings.SECRET_KEY]
    settings.SECRET_KEY = NEW
    return settings.SECRET_KEY_FALLBACKS[0]  # type: ignore[no-any-return]


def _still_works(letter: Letter, round_: int) -> list[object]:
    """What signers and the log need from the wrapped secrets, each used for real."""
    letter = Letter.objects.get(pk=letter.pk)  # as each request reads it
    Verification.objects.filter(letter=letter).update(expires_at=timezone.now())
    start(letter, "ana@example.org")
    code = code_in(last_message("ana@example.org"))
    sign(letter, f"new{round_}@example.org")
    token_by_email(letter, f"token{round_}@example.org")
    sealed = Signature.objects.get(letter=letter, updates_address__isnull=False).updates_address
    return [
        # The same mailbox hash: "already signed" is still recognised.
        _already_signed(letter, code),
        log_sequence(letter_id=letter.pk) > 0,
        decrypt_address(bytes(sealed or b"")),
    ]


WORKS = [True, True, "ana@example.org"]


def _already_signed(letter: Letter, code: str | None) -> bool:
    # Past the day a confirmation answers repeats, so a new code says "already signed".
    assert code is not None
    try:
        services.signing_confirm(letter=letter, email="ana@example.org", code=code)
    except AlreadySigned:
        return True
    return False


def test_old_key_as_fallback_keeps_letters_working_until_rotate_keys_lets_it_go(
    letter: Letter, settings: Any
) -> None:
    _rotate(settings)
    with_fallback = _still_works(letter, 1)
    out = io.StringIO()
    call_command("rotate_keys", "--batch-size", "1", stdout=out)
    settings.SECRET_KEY_FALLBACKS = []
    after_rotation = _still_works(letter, 2)

    assert (with_fallback, after_rotation) == (WORKS, WORKS)
    assert out.getvalue().splitlines() == [
        "letters_letter.mailbox_key: 1 re-wrapped, 0 already current, 0 unreadable",
        "publiclog_logstate.signing_key: 1 re-wrapped, 0 already current, 0 unreadable",
        "signing_issuancekey.private_key: 1 re-wrapped, 0 already current, 0 unreadable",
        "signing_verification.updates_address: 0 re-wrapped, 0 already current, 0 unreadable",
        "signing_signature.updates_address: 1 re-wrapped, 0 already current, 0 unreadable",
    ]


def test_rotate_keys_run_again_changes_nothing(letter: Letter, settings: Any) -> None:
    _rotate(settings)
    call_command("rotate_keys", stdout=io.StringIO())
    before = list(Letter.objects.values_list("mailbox_key", flat=True))
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    assert [line.split(": ")[1] for line in out.getvalue().splitlines()] == [
        "0 re-wrapped, 1 already current, 0 unreadable",
        "0 re-wrapped, 1 already current, 0 unreadable",
        "0 re-wrapped, 1 already current, 0 unreadable",
        "0 re-wrapped, 0 already current, 0 unreadable",
        "0 re-wrapped, 1 already current, 0 unreadable",
    ]
    assert list(Letter.objects.values_list("mailbox_key", flat=True)) == before


def test_new_secret_key_without_the_old_one_opens_no_stored_secret(
    letter: Letter, settings: Any
) -> None:
    """Proof that the fallback is what keeps the letters working above."""
    _rotate(settings)
    settings.SECRET_KEY_FALLBACKS = []
    sealed = Signature.objects.get(letter=letter).updates_address
    attempts = [
        lambda: letter_key(letter),
        lambda: load_signer(bytes(LogState.objects.get(letter=letter).signing_key)),
        lambda: issuer_of(IssuanceKey.objects.get(letter=letter)),
        lambda: decrypt_address(bytes(sealed or b"")),
    ]
    failed = []
    for attempt in attempts:
        with pytest.raises(InvalidToken):
            attempt()
        failed.append(True)
    assert failed == [True] * 4
