"""A 100,000-entry log through the real path: queue, sequencer, export, `verify`.

The time of each step is printed (run with -s to see it); nothing here asserts a duration.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.publiclog.helpers import queue_bulk
from tests.support.factories import make_letter
from undersigned.crypto.logfetch import DirectorySource
from undersigned.crypto.note import verifier_from_vkey
from undersigned.crypto.verify import check_log
from undersigned.publiclog.models import LogState
from undersigned.publiclog.selectors import log_counts, log_export_files
from undersigned.publiclog.sequencer import log_sequence

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_log_of_100000_entries_builds_and_verifies(tmp_path: Path) -> None:
    letter = make_letter("big")
    started = time.perf_counter()
    queue_bulk(letter, 100_000)
    queued = time.perf_counter()
    batches = 0
    while log_sequence(letter_id=letter.pk, batch_max=25_000):
        batches += 1
    sequenced = time.perf_counter()
    files = log_export_files(slug="big")
    assert files is not None
    for path, data in files:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    exported = time.perf_counter()
    vkey = LogState.objects.get(letter=letter).vkey
    report = check_log(DirectorySource(tmp_path), verifier_from_vkey(vkey))
    verified = time.perf_counter()
    print(
        f"\n100,000 entries: queue {queued - started:.1f} s, sequencer {sequenced - queued:.1f} s "
        f"({batches} batches), export {exported - sequenced:.1f} s, "
        f"verify {verified - exported:.1f} s"
    )
    assert (report.size, report.total, report.counts["counted"]) == (100_001, 100_000, 100_000)
    assert log_counts(letter_id=letter.pk).total == 100_000
