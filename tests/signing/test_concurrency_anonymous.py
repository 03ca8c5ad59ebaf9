"""One token, one signature; one mailbox, one token: under real concurrency, on PostgreSQL."""

from __future__ import annotations

from collections import Counter as Tally

import pytest

from tests.signing.anonymous_helpers import blinded_request, start_anonymous, token_by_email
from tests.signing.helpers import outbox_code
from tests.support.factories import make_letter
from tests.support.threads import in_threads
from undersigned.publiclog.models import EntryKind, PendingEntry
from undersigned.signing import services
from undersigned.signing.errors import SigningError
from undersigned.signing.models import Issuance, Signature
from undersigned.signing.selectors import TokenCounts, letter_counts, token_counts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_30_parallel_redemptions_of_one_token_count_once() -> None:
    letter = make_letter(domains=["example.org"])
    token = token_by_email(letter, "ana@example.org")

    def redeem(_: int) -> str:
        try:
            services.anonymous_signature_redeem(letter=letter, token=token)
        except SigningError as exc:
            return exc.code
        return "signed"

    outcomes = in_threads(30, redeem)

    assert outcomes == Tally({"signed": 1, "token_used": 29})
    assert Signature.objects.count() == 1
    assert PendingEntry.objects.filter(kind=EntryKind.SIGNATURE).count() == 1
    assert letter_counts(letter_id=letter.pk).per_tier["anonymous"] == 1
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=1)


def test_20_parallel_token_requests_with_one_code_issue_once(settings: object) -> None:
    settings.SIGNING_CODE_MAX_ATTEMPTS = 100  # type: ignore[attr-defined]
    letter = make_letter(domains=["example.org"])
    start_anonymous(letter, "ana@example.org")
    code = outbox_code("ana@example.org")
    requests = [blinded_request(letter)[0] for _ in range(20)]

    def issue(i: int) -> str:
        try:
            services.token_issue(
                letter=letter, email="ana@example.org", code=code, token_request=requests[i]
            )
        except SigningError as exc:
            return exc.code
        return "issued"

    outcomes = in_threads(20, issue)

    # The first takes the code and deletes its verification; the others find no valid code.
    assert outcomes == Tally({"issued": 1, "invalid_code": 19})
    assert Issuance.objects.count() == 1
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=0)


def test_20_parallel_token_requests_with_one_invite_issue_once() -> None:
    letter = make_letter(domains=["example.org"])
    invite = services.invite_batch_create(letter=letter, size=1)[0]
    requests = [blinded_request(letter)[0] for _ in range(20)]

    def issue(i: int) -> str:
        try:
            services.token_issue_with_invite(
                letter=letter, invite_code=invite, token_request=requests[i]
            )
        except SigningError as exc:
            return exc.code
        return "issued"

    assert in_threads(20, issue) == Tally({"issued": 1, "invite_code_used": 19})
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=0)


def test_parallel_redemptions_of_distinct_tokens_all_count() -> None:
    letter = make_letter(domains=["example.org"])
    minted = [token_by_email(letter, f"member{i}@example.org") for i in range(12)]

    def redeem(i: int) -> str:
        services.anonymous_signature_redeem(letter=letter, token=minted[i])
        return "signed"

    assert in_threads(12, redeem) == Tally({"signed": 12})
    assert letter_counts(letter_id=letter.pk).per_tier["anonymous"] == 12
