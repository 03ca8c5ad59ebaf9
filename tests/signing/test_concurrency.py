"""One signature per mailbox under real concurrency, on PostgreSQL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.signing.helpers import outbox_code, outbox_link_token, start
from tests.support.factories import make_letter
from tests.support.threads import in_threads
from undersigned.letters.models import mailbox_key_of
from undersigned.signing import services
from undersigned.signing.codes import receipt_secret_for, verification_code
from undersigned.signing.errors import SigningError
from undersigned.signing.mailbox import mailbox_hash
from undersigned.signing.models import Signature, Verification
from undersigned.signing.selectors import letter_counts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_50_parallel_confirmations_of_one_mailbox_make_one_signature_and_one_receipt(
    settings: object,
) -> None:
    # Enough attempts that every code confirmation reaches the signature insert.
    settings.SIGNING_CODE_MAX_ATTEMPTS = 100  # type: ignore[attr-defined]
    letter = make_letter(domains=["example.org"])
    start(letter, "ana@example.org")
    code, token = outbox_code("ana@example.org"), outbox_link_token("ana@example.org")

    def confirm(i: int) -> str:
        try:
            if i % 2:
                receipt = services.signing_confirm(
                    letter=letter, email="ana@example.org", code=code
                )
            else:
                _, receipt = services.signing_confirm_link(token=token)
        except SigningError as exc:
            return exc.code
        return receipt.secret

    outcomes = in_threads(50, confirm)

    # Every confirmation after the first is a repeat and hands out the same receipt.
    assert outcomes == Tally({receipt_secret_for(Verification.objects.get().nonce): 50})
    assert (Signature.objects.count(), letter_counts(letter_id=letter.pk).total) == (1, 1)


def _post(url: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(  # noqa: S310 -- the live test server's URL
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 -- live_server URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.slow
def test_1000_signers_through_http_api_make_1000_signatures(
    live_server: object, settings: object
) -> None:
    settings.RATE_LIMITS = {  # type: ignore[attr-defined]
        **settings.RATE_LIMITS,  # type: ignore[attr-defined]
        "signing-start": (10_000, 600),
        "signing-confirm": (10_000, 600),
    }
    letter = make_letter(domains=["example.org"])
    key = mailbox_key_of(letter) or b""
    api = f"{live_server}/api/v1/letters/{letter.slug}"

    def signer(i: int) -> str:
        email = f"signer{i}@example.org"
        started, _ = _post(f"{api}/signatures", {"email": email, "tier": "counted"})
        # This test is about concurrency, not email: read the code through the same derivation
        # the server uses (the email path is covered with the real SMTP server elsewhere).
        nonce = Verification.objects.get(
            letter=letter, mailbox_hash=mailbox_hash(key=key, mailbox=email)
        ).nonce
        confirmed, _ = _post(
            f"{api}/signatures/confirm", {"email": email, "code": verification_code(nonce)}
        )
        return f"{started}/{confirmed}"

    with ThreadPoolExecutor(max_workers=16) as pool:

        def run(i: int) -> str:
            try:
                return signer(i)
            finally:
                connection.close()

        outcomes = Tally(pool.map(run, range(1000)))

    assert outcomes == Tally({"202/201": 1000})
    assert Signature.objects.filter(letter=letter).count() == 1000
    assert letter_counts(letter_id=letter.pk).per_tier["counted"] == 1000
