"""Nobody but a mailbox's owner can leave the owner without a working code, and a confirmation
repeated after a lost response hands back the same receipt."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.signing.helpers import details, outbox_code, outbox_link_token, start
from tests.support.factories import make_letter
from undersigned.letters.models import Letter
from undersigned.mail.models import OutboxMessage
from undersigned.signing import codes, services
from undersigned.signing.errors import AlreadySigned, InvalidCode, TooManyMessages
from undersigned.signing.models import Signature, Verification

pytestmark = pytest.mark.django_db

OWNER = "ana@example.org"


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


def _wrong(code: str) -> str:
    return str((int(code) + 1) % 10**8).zfill(8)


def _stranger_floods(letter: Letter, settings: object) -> str:
    """Starts up to the hourly limit and wrong codes up to the attempt limit, as a stranger
    who knows the address can; returns the code the owner's mailbox last received."""
    for _ in range(settings.SIGNING_MAX_SENDS_PER_HOUR):  # type: ignore[attr-defined]
        start(letter, OWNER, tier="public", name="Not The Owner")
    with pytest.raises(TooManyMessages):
        start(letter, OWNER, tier="public", name="Not The Owner")
    received = outbox_code(OWNER)
    for _ in range(settings.SIGNING_CODE_MAX_ATTEMPTS):  # type: ignore[attr-defined]
        with pytest.raises(InvalidCode):
            services.signing_confirm(letter=letter, email=OWNER, code=_wrong(received))
    return received


def test_owner_gets_a_working_code_after_a_strangers_starts_and_wrong_codes(
    letter: Letter, settings: object
) -> None:
    burned = _stranger_floods(letter, settings)
    sent = OutboxMessage.objects.count()

    start(letter, OWNER, tier="counted", department="Cloud")
    fresh = outbox_code(OWNER)
    asked = services.Requested(details=details("counted", department="Cloud"), updates=False)
    services.signing_confirm(letter=letter, email=OWNER, code=fresh, requested=asked)

    assert (OutboxMessage.objects.count(), fresh != burned) == (sent + 1, True)
    signature = Signature.objects.get()
    assert (signature.tier, signature.name, signature.department) == ("counted", "", "Cloud")


def test_owners_link_still_works_after_a_stranger_used_up_the_code(
    letter: Letter, settings: object
) -> None:
    _stranger_floods(letter, settings)

    _, receipt = services.signing_confirm_link(token=outbox_link_token(OWNER))

    assert (receipt.tier, Signature.objects.count()) == ("public", 1)


def test_hourly_limit_refuses_only_while_the_last_code_works(
    letter: Letter, settings: object
) -> None:
    settings.SIGNING_MAX_SENDS_PER_HOUR = 1  # type: ignore[attr-defined]
    start(letter, OWNER)
    with pytest.raises(TooManyMessages):
        start(letter, OWNER)
    Verification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    start(letter, OWNER)

    assert OutboxMessage.objects.count() == 2


def test_confirm_again_with_the_same_code_answers_the_same_receipt(letter: Letter) -> None:
    start(letter, OWNER)
    code = outbox_code(OWNER)
    first = services.signing_confirm(letter=letter, email=OWNER, code=code)

    again = services.signing_confirm(letter=letter, email=OWNER, code=code)

    assert again == first
    assert Signature.objects.get().receipt_commitment == codes.receipt_lookup_hash(first.secret)


def test_confirm_again_after_withdrawing_answers_already_signed(letter: Letter) -> None:
    start(letter, OWNER)
    code = outbox_code(OWNER)
    receipt = services.signing_confirm(letter=letter, email=OWNER, code=code)
    services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)

    with pytest.raises(AlreadySigned):
        services.signing_confirm(letter=letter, email=OWNER, code=code)


def test_confirm_again_after_the_replay_date_is_refused(letter: Letter) -> None:
    start(letter, OWNER)
    code = outbox_code(OWNER)
    services.signing_confirm(letter=letter, email=OWNER, code=code)
    Verification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(InvalidCode) as caught:
        services.signing_confirm(letter=letter, email=OWNER, code=code)

    assert "to withdraw it" in caught.value.message


def test_confirmed_verification_keeps_a_date_not_a_time(letter: Letter) -> None:
    start(letter, OWNER, title="Engineer")
    services.signing_confirm(letter=letter, email=OWNER, code=outbox_code(OWNER))

    row = Verification.objects.get()
    midnight = datetime.combine(
        timezone.now().astimezone(UTC).date() + timedelta(days=2), time.min, tzinfo=UTC
    )
    assert (row.expires_at, row.send_window_start, row.sends) == (midnight, midnight, 0)
    assert (row.title, row.language, row.updates_address) == ("", "", None)


def test_withdraw_again_with_the_same_code_answers_the_same_date(letter: Letter) -> None:
    start(letter, OWNER)
    services.signing_confirm(letter=letter, email=OWNER, code=outbox_code(OWNER))
    services.withdrawal_start(letter=letter, email=OWNER, language="en")
    code = outbox_code(OWNER)
    first = services.signature_withdraw_with_code(letter=letter, email=OWNER, code=code)

    again = services.signature_withdraw_with_code(letter=letter, email=OWNER, code=code)

    assert again == first


def test_withdraw_by_link_withdraws_and_answers_again(letter: Letter) -> None:
    start(letter, OWNER)
    services.signing_confirm(letter=letter, email=OWNER, code=outbox_code(OWNER))
    services.withdrawal_start(letter=letter, email=OWNER, language="en")
    token = outbox_link_token(OWNER)

    _, first = services.signature_withdraw_with_link(token=token)
    _, again = services.signature_withdraw_with_link(token=token)

    assert (first, again, Signature.objects.get().withdrawn_on) == (first, first, first)


def test_start_again_after_confirming_resends_the_code_that_shows_the_receipt(
    letter: Letter,
) -> None:
    start(letter, OWNER)
    first = services.signing_confirm(letter=letter, email=OWNER, code=outbox_code(OWNER))

    start(letter, OWNER, name="Someone Else")
    again = services.signing_confirm(letter=letter, email=OWNER, code=outbox_code(OWNER))

    assert again == first
    assert Verification.objects.get().name == ""
