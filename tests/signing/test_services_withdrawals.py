"""Withdrawing: by receipt or by mailbox and code; the count drops once; fields are erased."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.signing.helpers import code_in, last_message, outbox_code, sign, start
from tests.support.factories import make_letter, make_organizer
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.signing import services
from undersigned.signing.errors import AlreadySigned, InvalidCode, NothingToWithdraw, UnknownReceipt
from undersigned.signing.models import Signature
from undersigned.signing.selectors import letter_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


def test_withdraw_by_receipt_drops_count_and_erases_fields(letter: Letter) -> None:
    receipt = sign(letter, "ana@example.org", name="Ana Lima", title="Engineer")
    sign(letter, "bo@example.org", name="Bo")

    on = services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)

    withdrawn = Signature.objects.get(withdrawn_on__isnull=False)
    assert on == timezone.localdate()
    assert (withdrawn.name, withdrawn.title, withdrawn.withdrawn_on) == ("", "", on)
    assert letter_counts(letter_id=letter.pk).total == 1


def test_withdraw_twice_is_refused_and_counts_once(letter: Letter) -> None:
    receipt = sign(letter, "ana@example.org")
    services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)

    with pytest.raises(NothingToWithdraw):
        services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)

    assert letter_counts(letter_id=letter.pk).total == 0


def test_withdraw_unknown_receipt_is_refused(letter: Letter) -> None:
    with pytest.raises(UnknownReceipt):
        services.signature_withdraw(letter=letter, receipt_secret="x" * 43)


def test_withdraw_by_mailbox_and_code(letter: Letter) -> None:
    sign(letter, "ana@example.org", tier="counted")

    services.withdrawal_start(letter=letter, email="Ana+w@example.org", language="en")
    services.signature_withdraw_with_code(
        letter=letter, email="ana@example.org", code=outbox_code("Ana+w@example.org")
    )

    assert letter_counts(letter_id=letter.pk).per_tier["counted"] == 0
    assert Signature.objects.get().withdrawn_on == timezone.localdate()


def test_withdrawal_code_cannot_sign_and_signing_code_cannot_withdraw(letter: Letter) -> None:
    sign(letter, "ana@example.org")
    services.withdrawal_start(letter=letter, email="ana@example.org", language="en")
    code = outbox_code("ana@example.org")

    with pytest.raises(InvalidCode):
        services.signature_withdraw_with_code(letter=letter, email="bo@example.org", code=code)
    start(letter, "bo@example.org")
    with pytest.raises(InvalidCode):
        services.signature_withdraw_with_code(
            letter=letter, email="bo@example.org", code=outbox_code("bo@example.org")
        )


def test_withdrawal_for_mailbox_that_never_signed_says_so_on_use(letter: Letter) -> None:
    services.withdrawal_start(letter=letter, email="ana@example.org", language="en")
    code = code_in(last_message("ana@example.org"))

    assert code is not None
    with pytest.raises(NothingToWithdraw):
        services.signature_withdraw_with_code(letter=letter, email="ana@example.org", code=code)


def test_withdrawn_mailbox_cannot_sign_again(letter: Letter) -> None:
    receipt = sign(letter, "ana@example.org")
    services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)

    start(letter, "ana@example.org")
    code = code_in(last_message("ana@example.org"))

    assert code is not None
    with pytest.raises(AlreadySigned):
        services.signing_confirm(letter=letter, email="ana@example.org", code=code)
    assert letter_counts(letter_id=letter.pk).total == 0


def test_withdraw_invalidated_signature_does_not_lower_count_twice(letter: Letter) -> None:
    receipt = sign(letter, "ana@example.org", name="Spam Bot")
    sign(letter, "bo@example.org", name="Bo")
    services.signatures_invalidate(
        letter=letter,
        rule=services.InvalidationRule(name_contains="spam"),
        reason="bot",
        user=make_organizer(),
    )

    services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)

    assert letter_counts(letter_id=letter.pk).total == 1


def test_withdraw_after_letter_closed_still_works(letter: Letter) -> None:
    receipt = sign(letter, "ana@example.org")
    Letter.objects.filter(pk=letter.pk).update(state=State.CLOSED)
    letter.refresh_from_db()

    services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)

    assert letter_counts(letter_id=letter.pk).total == 0
