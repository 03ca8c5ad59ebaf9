"""Anonymous-token issuance and redemption throughput per core (`python bench/anonymous.py`).

One process, one thread: the numbers are what one core of web workers does. It runs the real
services (`token_issue_with_invite`, `anonymous_signature_redeem`) against a real database,
fresh and migrated (SQLite in a temporary directory, or `--database-url postgres://...` to a
database this script may drop and create), and also times the cryptography alone. The client's
side (blinding, finalizing) and the emailing of codes are done beforehand and not timed.

It prints, for each step: operations per second of wall time, and per second of this process's
CPU time (the web worker's share; a PostgreSQL server's own CPU is not included).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def _configure(database_url: str | None, data_dir: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="undersigned.settings.main",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="bench.example",
        SITE_URL="https://bench.example",
        UNDERSIGNED_DATA_DIR=data_dir,
        EMAIL_URL="console:",
        LOG_LEVEL="WARNING",
    )
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        _recreate_postgres(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _timed(label: str, count: int, step: Callable[[int], Any]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        step(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<44} {count / wall:8.0f}/s wall {count / cpu:8.0f}/s per core (CPU)")


def run(count: int) -> None:
    from undersigned.crypto import tokens
    from undersigned.letters.models import Letter, LetterText, mailbox_key_of
    from undersigned.letters.states import State
    from undersigned.signing import services
    from undersigned.signing.codes import verification_code
    from undersigned.signing.inputs import SignerDetails
    from undersigned.signing.mailbox import mailbox_hash
    from undersigned.signing.models import Signature, Verification
    from undersigned.signing.selectors import token_counts
    from undersigned.signing.services.issuance_keys import issuer_of

    letter = Letter.objects.create(
        slug="bench", state=State.OPEN, domains=["example.org"], recipient_name="CEO",
        recipient_email="ceo@example.org",
    )  # fmt: skip
    LetterText.objects.create(letter=letter, language="en", title="Bench", body="Bench.")
    key = services.anonymous_open(letter=letter)
    issuer = issuer_of(key)
    challenge = bytes(key.token_challenge)
    invites = [
        code
        for start in range(0, count, 1000)
        for code in services.invite_batch_create(letter=letter, size=min(1000, count - start))
    ]
    pending = [tokens.create_token_request(challenge, issuer.public) for _ in range(count)]
    requests = [request.encode() for request, _ in pending]
    responses: list[bytes] = []
    private = issuer.private
    if private is None:
        sys.exit("the issuance key was destroyed")

    print(f"{count} operations each, database {Letter.objects.db}: "
          f"{os.environ.get('DATABASE_URL', 'sqlite (temporary file)')}")  # fmt: skip
    _timed(
        "RSA blind signature alone (crypto)",
        count,
        lambda i: tokens.issue_token_response(private, requests[i], issuer_key=issuer.public),
    )
    _timed(
        "issuance: token_issue_with_invite",
        count,
        lambda i: responses.append(
            services.token_issue_with_invite(
                letter=letter, invite_code=invites[i], token_request=requests[i]
            )
        ),
    )
    mailboxes = [f"member{i}@example.org" for i in range(count)]
    for address in mailboxes:
        services.signing_start(
            letter=letter, email=address, details=SignerDetails(tier="anonymous"), updates=False,
            language="en",
        )  # fmt: skip
    nonces = dict(Verification.objects.values_list("mailbox_hash", "nonce"))
    key = mailbox_key_of(letter) or b""
    mailed = [verification_code(nonces[mailbox_hash(key=key, mailbox=a)]) for a in mailboxes]
    more = [tokens.create_token_request(challenge, issuer.public)[0].encode() for _ in mailboxes]
    _timed(
        "issuance: token_issue (email and code)",
        count,
        lambda i: services.token_issue(
            letter=letter, email=mailboxes[i], code=mailed[i], token_request=more[i]
        ),
    )
    minted = [
        tokens.finalize_token(state, response).encode()
        for (_, state), response in zip(pending, responses, strict=True)
    ]
    _timed(
        "token check alone (crypto)",
        count,
        lambda i: tokens.verify_token(minted[i], issuer.public, challenge),
    )
    _timed(
        "redemption: anonymous_signature_redeem",
        count,
        lambda i: services.anonymous_signature_redeem(letter=letter, token=minted[i]),
    )
    counts = token_counts(letter_id=letter.pk)
    stored = Signature.objects.filter(letter=letter).count()
    print(f"check: issued {counts.issued}, redeemed {counts.redeemed}, signatures {stored}")
    if (counts.issued, counts.redeemed, stored) != (2 * count, count, count):
        sys.exit("MISMATCH: something was lost or doubled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument(
        "--database-url", help="postgres://... (dropped and recreated!); default: SQLite"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="undersigned-bench-") as data_dir:
        _configure(args.database_url, str(Path(data_dir)))
        run(args.count)


if __name__ == "__main__":
    main()
