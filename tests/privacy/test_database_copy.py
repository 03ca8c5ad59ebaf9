"""A copy of the database, without the environment, ties no signature to a mailbox.

Canaries sign in every tier (public, recipient, counted through the emailed link; anonymous
through a token), then the database is copied as a thief would (the SQLite file, or `pg_dump`)
and every key-like value in the copy is tried as the HMAC key of each canary's mailbox
(tests/support/keyscan.py). The same search, run once the clear keys are written back, finds
every canary: it is able to succeed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from tests.privacy.canary import Signed, run_anonymous_flow, run_flow
from tests.support.keyscan import mailboxes_resolved, stored_hashes
from tests.support.smtp import SmtpSink
from undersigned.letters.models import Letter, mailbox_key_of
from undersigned.signing.mailbox import mailbox_hash, normalize_mailbox

pytestmark = pytest.mark.django_db(transaction=True)

FLOWS = (
    ("public", run_flow),
    ("recipient", run_flow),
    ("counted", run_flow),
    ("anonymous", run_anonymous_flow),
)


def _sign_in_every_tier(smtp: SmtpSink, caplog: pytest.LogCaptureFixture) -> list[Signed]:
    return [flow(tier, smtp, caplog) for tier, flow in FLOWS]


def _sqlite_file_copy(folder: Path) -> str:
    """The database file (with its write-ahead log) copied, then dumped as SQL text."""
    source = Path(connection.settings_dict["NAME"])
    folder.mkdir(exist_ok=True)
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", folder / f"copy.sqlite3{suffix}")
    copy = sqlite3.connect(folder / "copy.sqlite3")
    try:
        return "\n".join(copy.iterdump())
    finally:
        copy.close()


def _pg_dump() -> str:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = ["pg_dump", "--no-owner", "-h", str(db["HOST"]), "-p", str(db["PORT"] or 5432)]
    command += ["-U", str(db["USER"]), str(db["NAME"])]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout


def _assert_copy_resolves_nobody(
    copy: Callable[[], str], smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    signed = _sign_in_every_tier(smtp, caplog)
    keys = {s.letter.pk: mailbox_key_of(Letter.objects.get(pk=s.letter.pk)) for s in signed}
    mailboxes = {normalize_mailbox(who.mailbox) for s in signed for who in (s.signer, s.control)}
    hashes = {
        mailbox_hash(key=keys[s.letter.pk] or b"", mailbox=normalize_mailbox(who.mailbox))
        for s in signed
        for who in (s.signer, s.control)
    }

    dump = copy()
    # The hashes a thief would want to resolve are all in the copy.
    assert hashes - stored_hashes(dump) == set()
    assert mailboxes_resolved(dump, mailboxes) == set()

    # Proof that the search can succeed: with the keys in clear, it resolves every canary.
    for pk, key in keys.items():
        Letter.objects.filter(pk=pk).update(mailbox_key=key)
    assert mailboxes_resolved(copy(), mailboxes) == mailboxes


def test_sqlite_file_copy_resolves_no_canary_mailbox(
    smtp: SmtpSink, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the file copy is SQLite's; PostgreSQL has its own test")
    counter = iter(range(100))
    _assert_copy_resolves_nobody(
        lambda: _sqlite_file_copy(tmp_path / str(next(counter))), smtp, caplog
    )


@pytest.mark.postgres
def test_pg_dump_resolves_no_canary_mailbox(
    smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    _assert_copy_resolves_nobody(_pg_dump, smtp, caplog)
