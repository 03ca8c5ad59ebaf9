"""The per-mailbox limits hold under real concurrency, on PostgreSQL (docs/design.md section 4d).

SQLite runs one writing transaction at a time, so only PostgreSQL can show a race here.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable

import pytest

from tests.signing.helpers import outbox_code, start
from tests.support.factories import make_letter
from tests.support.threads import in_threads
from undersigned.mail.models import OutboxMessage
from undersigned.signing import services
from undersigned.signing.errors import SigningError
from undersigned.signing.models import Signature, Verification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50
# Seconds any one thread may wait for the others, and the whole run may take.


def _outcome(action: Callable[[], object]) -> str:
    try:
        action()
    except SigningError as exc:
        return exc.code
    return "done"


def test_50_parallel_starts_for_one_mailbox_send_exactly_the_limit(settings: object) -> None:
    limit = settings.SIGNING_MAX_SENDS_PER_HOUR  # type: ignore[attr-defined]
    letter = make_letter(domains=["example.org"])

    outcomes = in_threads(
        THREADS, lambda i: _outcome(lambda: start(letter, "ana@example.org", tier="counted"))
    )

    assert outcomes == Tally({"done": limit, "too_many_messages": THREADS - limit})
    assert (OutboxMessage.objects.count(), Verification.objects.get().sends) == (limit, limit)


def test_50_parallel_starts_for_50_mailboxes_send_one_message_each() -> None:
    letter = make_letter(domains=["example.org"])

    outcomes = in_threads(
        THREADS, lambda i: _outcome(lambda: start(letter, f"s{i}@example.org", tier="counted"))
    )

    assert outcomes == Tally({"done": THREADS})
    assert (OutboxMessage.objects.count(), Verification.objects.count()) == (THREADS, THREADS)


def test_50_parallel_wrong_codes_consume_exactly_the_attempt_limit(settings: object) -> None:
    limit = settings.SIGNING_CODE_MAX_ATTEMPTS  # type: ignore[attr-defined]
    letter = make_letter(domains=["example.org"])
    start(letter, "ana@example.org", tier="counted")
    wrong = str((int(outbox_code("ana@example.org")) + 1) % 10**8).zfill(8)

    outcomes = in_threads(
        THREADS,
        lambda i: _outcome(
            lambda: services.signing_confirm(letter=letter, email="ana@example.org", code=wrong)
        ),
    )

    assert outcomes == Tally({"invalid_code": THREADS})
    assert (Verification.objects.get().attempts, Signature.objects.count()) == (limit, 0)


def test_starts_beside_wrong_codes_lose_no_attempt(settings: object) -> None:
    # High enough limits that no start makes a fresh code: every wrong code must stay counted.
    settings.SIGNING_CODE_MAX_ATTEMPTS = 100  # type: ignore[attr-defined]
    settings.SIGNING_MAX_SENDS_PER_HOUR = 100  # type: ignore[attr-defined]
    letter = make_letter(domains=["example.org"])
    start(letter, "ana@example.org", tier="counted")
    wrong = str((int(outbox_code("ana@example.org")) + 1) % 10**8).zfill(8)

    def work(i: int) -> str:
        if i % 2:
            return _outcome(
                lambda: services.signing_confirm(letter=letter, email="ana@example.org", code=wrong)
            )
        return _outcome(lambda: start(letter, "ana@example.org", tier="counted"))

    outcomes = in_threads(THREADS, work)

    assert outcomes == Tally({"done": THREADS // 2, "invalid_code": THREADS // 2})
    row = Verification.objects.get()
    assert (row.attempts, row.sends, OutboxMessage.objects.count()) == (
        THREADS // 2,
        1 + THREADS // 2,
        1 + THREADS // 2,
    )
