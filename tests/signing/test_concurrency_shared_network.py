"""An office behind one address signs at once with the default limits, on PostgreSQL."""

from __future__ import annotations

from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.signing.test_concurrency import _post
from tests.support.factories import make_letter
from undersigned.letters.models import mailbox_key_of
from undersigned.signing.codes import verification_code
from undersigned.signing.mailbox import mailbox_hash
from undersigned.signing.models import Signature, Verification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_300_signers_from_one_address_sign_without_a_refusal(live_server: object) -> None:
    # Every request reaches the live server from 127.0.0.1: one client address, as behind a NAT.
    letter = make_letter(domains=["example.org"])
    key = mailbox_key_of(letter) or b""
    api = f"{live_server}/api/v1/letters/{letter.slug}"

    def signer(i: int) -> str:
        email = f"colleague{i}@example.org"
        try:
            started, _ = _post(f"{api}/signatures", {"email": email, "tier": "counted"})
            # The code through the server's own derivation: this test is about limits, not mail.
            nonce = Verification.objects.get(
                letter=letter, mailbox_hash=mailbox_hash(key=key, mailbox=email)
            ).nonce
            confirmed, _ = _post(
                f"{api}/signatures/confirm", {"email": email, "code": verification_code(nonce)}
            )
            return f"{started}/{confirmed}"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = Tally(pool.map(signer, range(300)))

    assert outcomes == Tally({"202/201": 300})
    assert Signature.objects.filter(letter=letter).count() == 300
