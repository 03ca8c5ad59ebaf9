"""Signing by mailbox and by invite code, through the services."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.signing.helpers import (
    code_in,
    details,
    last_message,
    outbox_code,
    outbox_link_token,
    sign,
    start,
    text_of,
)
from tests.support.factories import make_letter
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.mail.models import OutboxMessage
from undersigned.signing import codes, services
from undersigned.signing.errors import (
    AlreadySigned,
    Closed,
    InvalidCode,
    InvalidLink,
    SigningError,
    TooManyMessages,
    UnknownInvite,
    UsedInvite,
)
from undersigned.signing.mailbox import decrypt_address
from undersigned.signing.models import Signature, Verification
from undersigned.signing.selectors import letter_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


def test_start_mails_code_line_and_confirmation_link(letter: Letter) -> None:
    start(letter, "ana@example.org")

    text = text_of(last_message("ana@example.org"))
    code = outbox_code("ana@example.org")
    assert (len(code), code.isdigit()) == (8, True)
    link = re.search(r"http://testserver/c/[A-Za-z0-9_-]{43}/", text)
    assert link is not None
    assert (letter.slug in text, letter.slug in link.group(0)) == (False, False)


def test_start_stores_only_the_mailbox_hash(letter: Letter) -> None:
    start(letter, "Ana@Example.org")

    row = Verification.objects.get()
    values = [str(v) for v in Verification.objects.values_list().get()]
    assert [v for v in values if "ana@" in v.lower()] == []
    assert len(row.mailbox_hash) == 64


def test_confirm_creates_signature_and_counts_it(letter: Letter) -> None:
    receipt = sign(letter, "ana@example.org", name="Ana Lima", title="Engineer")

    signature = Signature.objects.get()
    assert (signature.tier, signature.name, signature.title) == ("public", "Ana Lima", "Engineer")
    assert signature.receipt_commitment == codes.receipt_lookup_hash(receipt.secret)
    assert (receipt.tier, receipt.signed_on) == ("public", timezone.localdate())
    assert letter_counts(letter_id=letter.pk).per_tier == {
        "public": 1,
        "recipient": 0,
        "counted": 0,
        "anonymous": 0,
    }


def test_confirm_wrong_code_is_refused(letter: Letter) -> None:
    start(letter, "ana@example.org")
    wrong = str((int(outbox_code("ana@example.org")) + 1) % 10**8).zfill(8)

    with pytest.raises(InvalidCode):
        services.signing_confirm(letter=letter, email="ana@example.org", code=wrong)

    assert (Signature.objects.count(), Verification.objects.get().attempts) == (0, 1)


def test_confirm_after_max_attempts_voids_even_the_right_code(
    letter: Letter, settings: object
) -> None:
    settings.SIGNING_CODE_MAX_ATTEMPTS = 3  # type: ignore[attr-defined]
    start(letter, "ana@example.org")
    code = outbox_code("ana@example.org")
    for _ in range(3):
        with pytest.raises(InvalidCode):
            services.signing_confirm(letter=letter, email="ana@example.org", code="00000000")

    with pytest.raises(InvalidCode):
        services.signing_confirm(letter=letter, email="ana@example.org", code=code)

    assert Signature.objects.count() == 0


def test_start_after_void_sends_a_new_code(letter: Letter, settings: object) -> None:
    settings.SIGNING_CODE_MAX_ATTEMPTS = 1  # type: ignore[attr-defined]
    start(letter, "ana@example.org")
    old = outbox_code("ana@example.org")
    with pytest.raises(InvalidCode):
        services.signing_confirm(letter=letter, email="ana@example.org", code="00000000")

    start(letter, "ana@example.org")
    new = outbox_code("ana@example.org")

    assert new != old
    services.signing_confirm(letter=letter, email="ana@example.org", code=new)
    assert Signature.objects.count() == 1


def test_confirm_expired_code_is_refused(letter: Letter) -> None:
    start(letter, "ana@example.org")
    code = outbox_code("ana@example.org")
    Verification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(InvalidCode):
        services.signing_confirm(letter=letter, email="ana@example.org", code=code)


def test_start_again_resends_the_same_code(letter: Letter) -> None:
    start(letter, "ana@example.org")
    first = outbox_code("ana@example.org")

    start(letter, " ANA+again@example.org ")

    assert outbox_code("ANA+again@example.org") == first
    assert (Verification.objects.get().sends, OutboxMessage.objects.count()) == (2, 2)


def test_start_with_other_details_keeps_the_working_code(letter: Letter) -> None:
    start(letter, "ana@example.org", name="Ana Lima")
    first = outbox_code("ana@example.org")

    start(letter, "ana@example.org", name="Someone Else")

    assert outbox_code("ana@example.org") == first


def test_confirm_with_the_pages_request_signs_it_not_a_later_starts(letter: Letter) -> None:
    start(letter, "ana@example.org", tier="counted", department="Cloud")
    # Someone else, knowing the address, asks for a public signature with a name on it.
    start(letter, "ana@example.org", tier="public", name="Ana Lima")
    asked = services.Requested(details=details("counted", department="Cloud"), updates=False)

    services.signing_confirm(
        letter=letter, email="ana@example.org", code=outbox_code("ana@example.org"), requested=asked
    )

    signature = Signature.objects.get()
    assert (signature.tier, signature.name, signature.department) == ("counted", "", "Cloud")


def test_start_after_expiry_gets_a_new_code(letter: Letter) -> None:
    start(letter, "ana@example.org")
    first = outbox_code("ana@example.org")
    Verification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    start(letter, "ana@example.org")

    assert outbox_code("ana@example.org") != first


def test_start_more_than_hourly_limit_is_refused(letter: Letter, settings: object) -> None:
    settings.SIGNING_MAX_SENDS_PER_HOUR = 2  # type: ignore[attr-defined]
    start(letter, "ana@example.org")
    start(letter, "ana@example.org")

    with pytest.raises(TooManyMessages):
        start(letter, "ana@example.org")

    assert OutboxMessage.objects.count() == 2


def test_start_hourly_limit_applies_the_same_to_a_signed_mailbox(
    letter: Letter, settings: object
) -> None:
    settings.SIGNING_MAX_SENDS_PER_HOUR = 2  # type: ignore[attr-defined]
    sign(letter, "ana@example.org")
    sent = OutboxMessage.objects.count()

    for email in ("ana@example.org", "bo@example.org"):
        start(letter, email)
        start(letter, email)
        with pytest.raises(TooManyMessages):
            start(letter, email)

    assert OutboxMessage.objects.count() == sent + 4


def test_start_limit_window_resets_after_an_hour(letter: Letter, settings: object) -> None:
    settings.SIGNING_MAX_SENDS_PER_HOUR = 1  # type: ignore[attr-defined]
    start(letter, "ana@example.org")
    Verification.objects.update(send_window_start=timezone.now() - timedelta(hours=1))

    start(letter, "ana@example.org")

    assert OutboxMessage.objects.count() == 2


def test_start_already_signed_mails_a_code_whose_use_says_so(letter: Letter) -> None:
    sign(letter, "ana@example.org")
    # After the day the confirmation answers repeats (test_services_lockout.py).
    Verification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    start(letter, "ana+again@example.org", name="Other Name")
    code = code_in(last_message("ana+again@example.org"))

    assert code is not None
    with pytest.raises(AlreadySigned):
        services.signing_confirm(letter=letter, email="ana+again@example.org", code=code)
    assert Signature.objects.count() == 1


def test_start_already_signed_keeps_nothing_typed(letter: Letter) -> None:
    sign(letter, "ana@example.org")

    start(letter, "ana@example.org", name="Other Name", title="Spy")

    row = Verification.objects.get()
    assert (row.name, row.title, row.updates_address) == ("", "", None)


def test_start_wrong_domain_is_422(letter: Letter) -> None:
    with pytest.raises(SigningError) as caught:
        start(letter, "ana@mail.example.org")

    assert (caught.value.status, caught.value.code) == (422, "wrong_domain")
    assert (Verification.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_start_on_closed_letter_is_refused() -> None:
    letter = make_letter(state=State.CLOSED)

    with pytest.raises(Closed):
        start(letter, "ana@example.org")


def test_counted_tier_keeps_no_name(letter: Letter) -> None:
    sign(letter, "ana@example.org", tier="counted", department="Cloud")

    signature = Signature.objects.get()
    assert (signature.tier, signature.name, signature.department) == ("counted", "", "Cloud")


def test_updates_address_is_encrypted_and_only_when_asked(letter: Letter) -> None:
    start(letter, "ana+news@example.org", updates=True)
    services.signing_confirm(
        letter=letter, email="ana@example.org", code=outbox_code("ana+news@example.org")
    )
    sign(letter, "bo@example.org", name="Bo")

    stored = dict(Signature.objects.values_list("name", "updates_address"))
    assert decrypt_address(stored["Ana Lima"]) == "ana+news@example.org"
    assert Signature.objects.filter(updates_address__isnull=True).count() == 1


def test_confirm_link_signs(letter: Letter) -> None:
    start(letter, "ana@example.org", tier="recipient")

    _, receipt = services.signing_confirm_link(token=outbox_link_token("ana@example.org"))

    assert (receipt.tier, Signature.objects.get().tier) == ("recipient", "recipient")


def test_confirm_link_twice_answers_the_same_receipt(letter: Letter) -> None:
    start(letter, "ana@example.org")
    token = outbox_link_token("ana@example.org")
    _, first = services.signing_confirm_link(token=token)

    _, again = services.signing_confirm_link(token=token)

    assert again == first
    assert letter_counts(letter_id=letter.pk).total == 1


def test_confirm_code_after_link_answers_the_same_receipt(letter: Letter) -> None:
    start(letter, "ana@example.org")
    code = outbox_code("ana@example.org")
    _, first = services.signing_confirm_link(token=outbox_link_token("ana@example.org"))

    again = services.signing_confirm(letter=letter, email="ana@example.org", code=code)

    assert again == first


def test_confirm_used_verification_blanks_what_it_held(letter: Letter) -> None:
    sign(letter, "ana@example.org", name="Ana Lima")

    row = Verification.objects.get()
    assert (row.confirmed, row.name, row.title) == (True, "", "")


def test_confirm_unknown_link_is_refused(letter: Letter) -> None:
    with pytest.raises(InvalidLink):
        services.signing_confirm_link(token="not-a-token")


def test_signed_mailbox_code_for_notice_cannot_sign_twice(letter: Letter) -> None:
    sign(letter, "ana@example.org")
    Verification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    start(letter, "ana@example.org")
    nonce = Verification.objects.get().nonce

    with pytest.raises(AlreadySigned):
        services.signing_confirm(
            letter=letter, email="ana@example.org", code=codes.verification_code(nonce)
        )

    assert Signature.objects.count() == 1


def _invite(letter: Letter) -> str:
    return services.invite_batch_create(letter=letter, size=1)[0]


def test_invite_code_signs_once(letter: Letter) -> None:
    code = _invite(letter)

    receipt = services.signing_with_invite(
        letter=letter, invite_code=code.lower(), details=details("recipient", "Bo")
    )

    assert receipt.tier == "recipient"
    with pytest.raises(UsedInvite):
        services.signing_with_invite(letter=letter, invite_code=code, details=details())
    assert (Signature.objects.count(), letter_counts(letter_id=letter.pk).total) == (1, 1)


def test_invite_code_of_another_letter_is_unknown(letter: Letter) -> None:
    code = _invite(make_letter())

    with pytest.raises(UnknownInvite):
        services.signing_with_invite(letter=letter, invite_code=code, details=details())


def test_invite_code_malformed_is_unknown(letter: Letter) -> None:
    with pytest.raises(UnknownInvite):
        services.signing_with_invite(letter=letter, invite_code="nope", details=details())


def test_invite_and_mailbox_signatures_coexist(letter: Letter) -> None:
    services.signing_with_invite(letter=letter, invite_code=_invite(letter), details=details())
    services.signing_with_invite(letter=letter, invite_code=_invite(letter), details=details())
    sign(letter, "ana@example.org")

    assert Signature.objects.filter(mailbox_hash__isnull=True).count() == 2
    assert letter_counts(letter_id=letter.pk).total == 3
