"""`make bench`, part four: writing an update to every subscriber (`python bench/updates.py`).

The worker's fan-out (delivery/services/updates.py) for a letter with many subscribers: one
process, one thread, the real service against a fresh, migrated database (SQLite in a temporary
directory, or `--database-url postgres://...` to a database this script may drop and create).
Sending (SMTP) is not included: that is the outbox's work, the same for every message.

It prints subscribers per second of wall time and of this process's CPU, and checks that every
subscriber got exactly one message.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from anonymous import _configure  # the same fresh, migrated database set-up


def run(count: int) -> None:
    from undersigned.accounts.models import User
    from undersigned.delivery.models import Update
    from undersigned.delivery.services import update_fanout, update_send
    from undersigned.letters.models import Letter, LetterText
    from undersigned.letters.states import State
    from undersigned.mail.models import OutboxMessage
    from undersigned.signing.mailbox import encrypt_address
    from undersigned.signing.models import Signature

    letter = Letter.objects.create(
        slug="bench", state=State.OPEN, domains=["example.org"], recipient_name="CEO",
        recipient_email="ceo@example.org",
    )  # fmt: skip
    for language in ("en", "de"):
        LetterText.objects.create(letter=letter, language=language, title="Bench", body="Text.")
    Signature.objects.bulk_create(
        (
            Signature(letter=letter, tier="counted", mailbox_hash=f"m{n}",
                      receipt_commitment=f"r{n}", updates_language=("en", "de")[n % 2],
                      updates_address=encrypt_address(f"s{n}@example.org"))
            for n in range(count)
        ),
        batch_size=1000,
    )  # fmt: skip
    owner = User.objects.create_user(email="owner@example.org", password=None)
    texts = {
        "en": {"subject": "News", "body": "The letter was delivered.\n\nThank you."},
        "de": {"subject": "Neuigkeit", "body": "Der Brief ist zugestellt.\n\nDanke."},
    }
    update = update_send(letter=letter, user=owner, texts=texts)
    wall, cpu = time.perf_counter(), time.process_time()
    while update_fanout(update_id=update.pk):
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    update.refresh_from_db()
    rows = OutboxMessage.objects.values_list("recipients", flat=True)
    per_address = Counter(address for recipients in rows for address in recipients)
    print(
        f"update fan-out, {count:,} subscribers: {wall:.1f} s, {count / wall:,.0f}/s wall, "
        f"{count / cpu:,.0f}/s per core (CPU), {wall / count * 1000:.2f} ms each"
    )
    exact = (update.done, update.recipients, len(per_address), set(per_address.values()))
    print(f"check: done, recipients, addresses, messages each = {exact}")
    if exact != (True, count, count, {1}) or Update.objects.count() != 1:
        sys.exit("MISMATCH: a subscriber was skipped or written to twice")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--database-url", help="a PostgreSQL database to drop and recreate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        _configure(args.database_url, data_dir)
        run(args.count)


if __name__ == "__main__":
    main()
