"""The sequencer killed with SIGKILL at random moments loses and doubles nothing.

The real `undersigned worker` runs in a subprocess over a file-based SQLite database (and, with
DATABASE_URL set, over the PostgreSQL test database), small batches, and is killed again and
again while it works. Afterwards every queued entry must be in the log exactly once, and
`undersigned verify` must pass on an exported copy.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from tests.publiclog.helpers import queue_bulk, sign
from tests.support.factories import make_letter
from undersigned.publiclog.models import Entry, LogState, PendingEntry
from undersigned.publiclog.services import log_enqueue_withdrawal

SIGNATURES = 300
WITHDRAWN = 15
BULK = 3000  # queued entries without Signature rows, so the worker has seconds of work
ROOT = Path(__file__).resolve().parents[2]

SETUP = f"""
import django
django.setup()
from tests.publiclog.helpers import queue_bulk, sign
from tests.support.factories import make_letter
from undersigned.publiclog.services import log_enqueue_withdrawal
letter = make_letter("kill")
queue_bulk(letter, {BULK})
signed = [sign(letter, ("public", "counted", "recipient")[i % 3]) for i in range({SIGNATURES})]
for s in signed[:{WITHDRAWN}]:
    sig = s.signature
    log_enqueue_withdrawal(letter_id=sig.letter_id, signature_id=sig.pk, on=sig.withdrawn_on)
"""


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "undersigned", *args]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="undersigned.settings.test",
        SEQUENCER_INTERVAL_SECONDS="1",
        SEQUENCER_BATCH_MAX="7",
        EMAIL_URL="console:",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def _kill_repeatedly(env: dict[str, str], pending: Callable[[], int]) -> int:
    """Start the worker and SIGKILL it at random moments; returns how many kills hit work."""
    rng = random.Random()
    hits = 0
    slow_start = 0.0
    deadline = time.monotonic() + 90
    for _ in range(8):
        if time.monotonic() > deadline or pending() == 0:
            break
        before = pending()
        worker = subprocess.Popen(
            _command("worker", "--idle-sleep", "0.05"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Django takes a moment to start; past it, every instant is somewhere inside a batch.
        time.sleep(slow_start + rng.uniform(0.8, 2.0))
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        after = pending()
        hits += 0 < after < before
        # On a loaded machine the worker may not even have started: wait longer next time.
        slow_start += 1.0 if after == before else 0.0
    return hits


def _finish_and_verify(
    env: dict[str, str], vkey: str, tmp_path: Path, pending: Callable[[], int]
) -> str:
    # One worker round runs a bounded number of batches; finish with as many as it takes.
    for _ in range(20):
        if pending() == 0:
            break
        subprocess.run(_command("worker", "--once"), cwd=ROOT, env=env, check=True, timeout=120)
    export = tmp_path / "export"
    subprocess.run(
        _command("log-export", "kill", str(export)),
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )
    result = subprocess.run(
        _command("verify", str(export), "--key", vkey),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout


def _expected_counts() -> list[str]:
    per_tier = {"public": 0, "recipient": 0, "counted": 0, "anonymous": 0}
    for i in range(WITHDRAWN, SIGNATURES):
        per_tier[("public", "counted", "recipient")[i % 3]] += 1
    per_tier["counted"] += BULK
    lines = [f"count {tier}: {n}" for tier, n in per_tier.items()]
    return [*lines, f"count total: {SIGNATURES - WITHDRAWN + BULK}"]


@pytest.mark.slow
def test_sigkilled_sequencer_on_sqlite_integrates_each_entry_once(tmp_path: Path) -> None:
    env = _env(UNDERSIGNED_DATA_DIR=str(tmp_path))
    migrate = _command("migrate", "--noinput", "-v", "0")
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=300)
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, timeout=300)
    db = sqlite3.connect(tmp_path / "undersigned.sqlite3", timeout=30)

    def query(sql: str) -> list[tuple[object, ...]]:
        return db.execute(sql).fetchall()

    def pending() -> int:
        return int(query("SELECT COUNT(*) FROM publiclog_pendingentry")[0][0])  # type: ignore[call-overload]

    hits = _kill_repeatedly(env, pending)
    assert hits > 0
    vkey = str(query("SELECT vkey FROM publiclog_logstate")[0][0])
    out = _finish_and_verify(env, vkey, tmp_path, pending)
    print(f"\nkills that interrupted work: {hits}")
    indexes = [row[0] for row in query('SELECT "index" FROM publiclog_entry ORDER BY "index"')]
    signature_ids = query(
        "SELECT signature_id FROM publiclog_entry WHERE signature_id IS NOT NULL "
        "ORDER BY signature_id"
    )
    total = 1 + BULK + SIGNATURES + WITHDRAWN
    assert (pending(), indexes) == (0, list(range(total)))
    assert [row[0] for row in signature_ids] == list(range(1, SIGNATURES + 1))
    assert [line for line in out.splitlines() if line.startswith("count ")] == _expected_counts()
    db.close()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sigkilled_sequencer_on_postgres_integrates_each_entry_once(tmp_path: Path) -> None:
    letter = make_letter("kill")
    queue_bulk(letter, BULK)
    signed = [sign(letter, ("public", "counted", "recipient")[i % 3]) for i in range(SIGNATURES)]
    for s in signed[:WITHDRAWN]:
        log_enqueue_withdrawal(
            letter_id=s.signature.letter_id,
            signature_id=s.signature.pk,
            on=s.signature.withdrawn_on,
        )
    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
        f"{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    env = {**_env(UNDERSIGNED_DATA_DIR=str(tmp_path)), "DATABASE_URL": url}
    hits = _kill_repeatedly(env, PendingEntry.objects.count)
    assert hits > 0
    vkey = LogState.objects.get(letter=letter).vkey
    out = _finish_and_verify(env, vkey, tmp_path, PendingEntry.objects.count)
    print(f"\nkills that interrupted work: {hits}")
    entries = Entry.objects.filter(letter=letter)
    total = 1 + BULK + SIGNATURES + WITHDRAWN
    assert PendingEntry.objects.count() == 0
    assert sorted(entries.values_list("index", flat=True)) == list(range(total))
    assert sorted(entries.exclude(signature=None).values_list("signature_id", flat=True)) == sorted(
        s.signature.pk for s in signed
    )
    assert [line for line in out.splitlines() if line.startswith("count ")] == _expected_counts()
