"""Anonymous signing through the services: issuance, redemption, and what each refuses."""

from __future__ import annotations

import base64

import pytest
from django.utils import timezone

from tests.signing.anonymous_helpers import (
    blinded_request,
    flip,
    start_anonymous,
    token_by_email,
    token_by_invite,
)
from tests.signing.helpers import outbox_code, sign, start
from tests.support.factories import make_letter, make_organizer
from undersigned.campaign.letters import letter_transition
from undersigned.crypto import logentries, tokens
from undersigned.crypto.anonymous import letter_challenge
from undersigned.letters.models import Letter, mailbox_key_of
from undersigned.letters.states import State
from undersigned.publiclog.models import EntryKind, PendingEntry
from undersigned.signing import services
from undersigned.signing.errors import (
    AlreadySigned,
    AnonymousCode,
    AnonymousUnavailable,
    Closed,
    InvalidCode,
    InvalidToken,
    InvalidTokenRequest,
    InviteForToken,
    NamedCode,
    NoUpdatesWhenAnonymous,
    TokenForAnotherLetter,
    TokenUsed,
    UsedInvite,
)
from undersigned.signing.inputs import SignerDetails
from undersigned.signing.mailbox import mailbox_hash
from undersigned.signing.models import Issuance, IssuanceKey, Signature, Verification
from undersigned.signing.selectors import (
    TokenCounts,
    department_breakdown,
    letter_counts,
    token_counts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"], breakdown_threshold=1)


def _invite(letter: Letter) -> str:
    return services.invite_batch_create(letter=letter, size=1)[0]


def test_token_by_email_verifies_with_the_published_key(letter: Letter) -> None:
    token = token_by_email(letter, "ana@example.org")

    key = IssuanceKey.objects.get(letter=letter)
    verified = tokens.verify_token(token, bytes(key.spki), bytes(key.token_challenge))
    assert verified.token_key_id == tokens.IssuerPublicKey.from_spki(bytes(key.spki)).token_key_id


def test_challenge_names_the_letter_address(letter: Letter) -> None:
    key = services.anonymous_open(letter=letter)

    expected = letter_challenge(f"testserver/l/{letter.slug}/")
    assert bytes(key.token_challenge) == expected.encode()
    assert (expected.issuer_name, expected.origin_info) == ("testserver", "testserver")


def test_issuance_marks_mailbox_counts_and_forgets_verification(letter: Letter) -> None:
    token_by_email(letter, "Ana@Example.org")

    hashed = mailbox_hash(key=mailbox_key_of(letter) or b"", mailbox="ana@example.org")
    assert list(Issuance.objects.values_list("mailbox_hash", "issued_on")) == [
        (hashed, timezone.localdate())
    ]
    assert Verification.objects.count() == 0
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=0)
    assert Signature.objects.count() == 0


def _token_with_emailed_code(letter: Letter, email: str) -> None:
    request, _ = blinded_request(letter)
    services.token_issue(letter=letter, email=email, code=outbox_code(email), token_request=request)


def test_second_token_for_same_mailbox_is_refused_when_its_code_is_used(letter: Letter) -> None:
    token_by_email(letter, "ana@example.org")

    start_anonymous(letter, "ana@example.org")

    with pytest.raises(AlreadySigned):
        _token_with_emailed_code(letter, "ana@example.org")
    assert token_counts(letter_id=letter.pk).issued == 1


def test_code_used_for_a_token_cannot_be_used_again(letter: Letter) -> None:
    start_anonymous(letter, "ana@example.org")
    code = outbox_code("ana@example.org")
    first, _ = blinded_request(letter)
    services.token_issue(letter=letter, email="ana@example.org", code=code, token_request=first)
    again, _ = blinded_request(letter)

    with pytest.raises(InvalidCode):
        services.token_issue(letter=letter, email="ana@example.org", code=code, token_request=again)
    assert Issuance.objects.count() == 1


def test_named_signing_after_token_is_refused_when_its_code_is_used(letter: Letter) -> None:
    token_by_email(letter, "ana@example.org")

    start(letter, "ana@example.org", tier="counted")

    with pytest.raises(AlreadySigned):
        services.signing_confirm(
            letter=letter, email="ana@example.org", code=outbox_code("ana@example.org")
        )
    assert Signature.objects.count() == 0


def test_token_after_named_signature_is_refused_when_its_code_is_used(letter: Letter) -> None:
    sign(letter, "ana@example.org", tier="counted")

    start_anonymous(letter, "ana@example.org")

    with pytest.raises(AlreadySigned):
        _token_with_emailed_code(letter, "ana@example.org")
    assert token_counts(letter_id=letter.pk).issued == 0


def test_named_code_cannot_get_a_token(letter: Letter) -> None:
    start(letter, "ana@example.org", tier="counted")
    request, _ = blinded_request(letter)

    with pytest.raises(NamedCode):
        services.token_issue(
            letter=letter,
            email="ana@example.org",
            code=outbox_code("ana@example.org"),
            token_request=request,
        )
    assert (Issuance.objects.count(), token_counts(letter_id=letter.pk).issued) == (0, 0)


def test_anonymous_code_cannot_confirm_a_named_signature(letter: Letter) -> None:
    start_anonymous(letter, "ana@example.org")

    with pytest.raises(AnonymousCode):
        services.signing_confirm(
            letter=letter, email="ana@example.org", code=outbox_code("ana@example.org")
        )
    assert Signature.objects.count() == 0


def test_named_code_mailed_before_the_token_cannot_sign_after_it(letter: Letter) -> None:
    # A named start that read "not signed" just before a token was issued still mails a code;
    # confirming it must not give the mailbox a second signature.
    start(letter, "ana@example.org", tier="counted")
    named = Verification.objects.get()
    Issuance.objects.create(letter=letter, mailbox_hash=named.mailbox_hash)

    with pytest.raises(AlreadySigned):
        services.signing_confirm(
            letter=letter, email="ana@example.org", code=outbox_code("ana@example.org")
        )
    assert Signature.objects.count() == 0


def test_anonymous_start_refuses_updates(letter: Letter) -> None:
    with pytest.raises(NoUpdatesWhenAnonymous):
        services.signing_start(
            letter=letter,
            email="ana@example.org",
            details=SignerDetails(tier="anonymous"),
            updates=True,
            language="en",
        )
    assert Verification.objects.count() == 0


def test_invite_code_cannot_make_a_tokenless_anonymous_signature(letter: Letter) -> None:
    with pytest.raises(InviteForToken):
        services.signing_with_invite(
            letter=letter, invite_code=_invite(letter), details=SignerDetails(tier="anonymous")
        )
    assert Signature.objects.count() == 0


def test_token_by_invite_uses_the_code_up(letter: Letter) -> None:
    code = _invite(letter)
    token_by_invite(letter, code)

    with pytest.raises(UsedInvite):
        token_by_invite(letter, code)
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=0)
    assert Issuance.objects.count() == 0


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"",
        b"\x00\x02",
        b"\x00\x01" + bytes(257),  # token type 0x0001
        b"\x00\x02" + bytes(256),  # truncated
        b"\x00\x02" + bytes(258),  # overlong
    ],
)
def test_malformed_token_request_uses_up_nothing(letter: Letter, request_bytes: bytes) -> None:
    start_anonymous(letter, "ana@example.org")

    with pytest.raises(InvalidTokenRequest):
        services.token_issue(
            letter=letter,
            email="ana@example.org",
            code=outbox_code("ana@example.org"),
            token_request=request_bytes,
        )
    assert Verification.objects.get().attempts == 0
    assert Issuance.objects.count() == 0


def test_token_request_for_another_key_is_refused(letter: Letter) -> None:
    start_anonymous(letter, "ana@example.org")
    valid, _ = blinded_request(letter)
    request = valid[:2] + bytes([(valid[2] + 1) % 256]) + valid[3:]  # another truncated key id

    with pytest.raises(InvalidTokenRequest):
        services.token_issue(
            letter=letter,
            email="ana@example.org",
            code=outbox_code("ana@example.org"),
            token_request=request,
        )


def test_redeem_records_anonymous_signature_and_queues_its_token(letter: Letter) -> None:
    token = token_by_email(letter, "ana@example.org")

    receipt = services.anonymous_signature_redeem(letter=letter, token=token, department="Cloud")

    signature = Signature.objects.get()
    parsed = tokens.Token.decode(token)
    assert (signature.tier, signature.mailbox_hash, signature.invite_id) == (
        "anonymous",
        None,
        None,
    )
    assert (signature.department, signature.token_nonce) == ("Cloud", parsed.nonce.hex())
    entry = PendingEntry.objects.get(kind=EntryKind.SIGNATURE)
    assert bytes(entry.data or b"") == receipt.log.entry
    logged = logentries.parse_entry(receipt.log.entry)
    assert (logged.tier, logged.token, logged.commitment) == (
        "anonymous",
        token,
        logentries.receipt_commitment(receipt.secret),
    )
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=1)
    assert letter_counts(letter_id=letter.pk).per_tier["anonymous"] == 1


def test_redeemed_department_counts_in_breakdown(letter: Letter) -> None:
    token = token_by_email(letter, "ana@example.org")

    services.anonymous_signature_redeem(letter=letter, token=token, department="Cloud")

    groups = department_breakdown(letter_id=letter.pk).groups
    assert [(g.label, g.count) for g in groups] == [("Cloud", 1)]


def test_replayed_token_is_refused_and_counted_once(letter: Letter) -> None:
    token = token_by_email(letter, "ana@example.org")
    services.anonymous_signature_redeem(letter=letter, token=token)

    with pytest.raises(TokenUsed):
        services.anonymous_signature_redeem(letter=letter, token=token)
    assert letter_counts(letter_id=letter.pk).per_tier["anonymous"] == 1
    assert PendingEntry.objects.filter(kind=EntryKind.SIGNATURE).count() == 1


def test_token_of_another_letter_is_refused(letter: Letter) -> None:
    other = make_letter(domains=["example.org"])
    token = token_by_email(other, "ana@example.org")

    with pytest.raises(TokenForAnotherLetter):
        services.anonymous_signature_redeem(letter=letter, token=token)
    assert Signature.objects.count() == 0


def test_token_for_another_challenge_under_this_key_is_refused(letter: Letter) -> None:
    # Blind issuance cannot see the challenge a client binds in; redemption must check it.
    elsewhere = letter_challenge("testserver/l/another-letter/").encode()
    token = token_by_email(letter, "ana@example.org", challenge=elsewhere)

    with pytest.raises(TokenForAnotherLetter):
        services.anonymous_signature_redeem(letter=letter, token=token)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda t: flip(t, len(t) - 1), InvalidToken),  # authenticator altered
        (lambda t: flip(t, 5), InvalidToken),  # nonce altered
        (lambda t: t[:-1], InvalidToken),  # truncated
        (lambda t: t + b"\x00", InvalidToken),  # overlong
        (lambda t: b"\x00\x01" + t[2:], InvalidToken),  # another token type
        (lambda t: flip(t, 2 + 32 + 32), TokenForAnotherLetter),  # key id altered
        (lambda t: b"", InvalidToken),
    ],
)
def test_altered_token_is_refused(letter: Letter, change: object, error: type) -> None:
    token = token_by_email(letter, "ana@example.org")

    with pytest.raises(error):
        services.anonymous_signature_redeem(letter=letter, token=change(token))  # type: ignore[operator]
    assert Signature.objects.count() == 0


def test_closed_letter_neither_issues_nor_redeems(letter: Letter) -> None:
    token = token_by_email(letter, "ana@example.org")
    request, _ = blinded_request(letter)
    Letter.objects.filter(pk=letter.pk).update(state=State.CLOSED)
    letter.refresh_from_db()

    with pytest.raises(Closed):
        services.anonymous_signature_redeem(letter=letter, token=token)
    with pytest.raises(Closed):
        services.token_issue_with_invite(letter=letter, invite_code="x", token_request=request)


def test_purge_destroys_private_key_and_token_marks(letter: Letter) -> None:
    token_by_email(letter, "ana@example.org")
    spki = bytes(IssuanceKey.objects.get(letter=letter).spki)

    report = services.letter_secrets_purge(letter=letter)

    key = IssuanceKey.objects.get(letter=letter)
    assert (report.issuance_key, report.token_mailboxes) == (True, 1)
    # The public half stays: the log publishes it and verifiers check tokens with it.
    assert (key.private_key, bytes(key.spki)) == (None, spki)
    assert Issuance.objects.count() == 0


def test_destroyed_key_issues_nothing(letter: Letter) -> None:
    code = _invite(letter)
    request, _ = blinded_request(letter)
    services.issuance_key_destroy(letter=letter)

    with pytest.raises(AnonymousUnavailable):
        services.token_issue_with_invite(letter=letter, invite_code=code, token_request=request)


def test_withdraw_anonymous_signature_with_its_receipt(letter: Letter) -> None:
    token = token_by_email(letter, "ana@example.org")
    receipt = services.anonymous_signature_redeem(letter=letter, token=token)

    services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)

    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=1)
    assert letter_counts(letter_id=letter.pk).per_tier["anonymous"] == 0
    with pytest.raises(TokenUsed):
        services.anonymous_signature_redeem(letter=letter, token=token)


def test_opening_a_letter_makes_its_key_and_publishes_it_in_the_genesis_entry() -> None:
    owner = make_organizer()
    letter = make_letter(domains=["example.org"], state=State.DRAFT, owner=owner)

    letter_transition(letter=letter, target=State.OPEN, user=owner)

    key = IssuanceKey.objects.get(letter=letter)
    genesis = logentries.parse_entry(bytes(PendingEntry.objects.get(kind=EntryKind.LETTER).data))
    assert (genesis.body or {})["issuance_key"] == base64.b64encode(bytes(key.spki)).decode()
    assert (genesis.body or {})["token_challenge"] == base64.b64encode(
        bytes(key.token_challenge)
    ).decode()


def test_code_mailed_before_a_named_signature_gets_no_token_after_it(letter: Letter) -> None:
    # The reverse race: an anonymous code mailed, then the mailbox signed by name meanwhile.
    start_anonymous(letter, "ana@example.org")
    code = outbox_code("ana@example.org")
    row = Verification.objects.get()
    Signature.objects.create(
        letter=letter, tier="counted", mailbox_hash=row.mailbox_hash, receipt_commitment="x"
    )
    request, _ = blinded_request(letter)

    with pytest.raises(AlreadySigned):
        services.token_issue(
            letter=letter, email="ana@example.org", code=code, token_request=request
        )
    assert (Issuance.objects.count(), token_counts(letter_id=letter.pk).issued) == (0, 0)
