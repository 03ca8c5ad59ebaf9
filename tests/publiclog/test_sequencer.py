from __future__ import annotations

import json
import threading

import pytest
from django.core.cache import cache
from django.db import connection

from tests.publiclog.helpers import sign, sign_many
from tests.support.factories import make_letter
from undersigned.common.jobs import job_named, job_run_if_due
from undersigned.crypto import logentries
from undersigned.crypto.merkle import MemoryTree
from undersigned.crypto.note import open_checkpoint, verifier_from_vkey
from undersigned.crypto.tiles import append_entries
from undersigned.publiclog import sequencer, services
from undersigned.publiclog.models import Entry, EntryKind, LogState, PendingEntry, Tile
from undersigned.publiclog.selectors import log_counts

pytestmark = pytest.mark.django_db


def _drain(letter_id: int, batch_max: int) -> int:
    batches = 0
    while sequencer.log_sequence(letter_id=letter_id, batch_max=batch_max):
        batches += 1
    return batches


def _entries(letter_id: int) -> list[Entry]:
    return list(Entry.objects.filter(letter_id=letter_id).order_by("index"))


def test_sequence_integrates_each_queued_entry_exactly_once() -> None:
    letter = make_letter()
    signed = sign_many(letter, 50)
    assert _drain(letter.pk, batch_max=7) == 8
    entries = _entries(letter.pk)
    assert [e.index for e in entries] == list(range(51))
    assert sorted(e.leaf_hash for e in entries[1:]) == sorted(
        s.receipt.leaf_hash.hex() for s in signed
    )
    assert PendingEntry.objects.count() == 0
    assert sequencer.log_sequence(letter_id=letter.pk) == 0
    assert LogState.objects.get(letter=letter).size == 51


def test_sequence_puts_the_letter_entry_first() -> None:
    letter = make_letter()
    sign_many(letter, 20)
    _drain(letter.pk, batch_max=100)
    assert [e.kind for e in _entries(letter.pk)][:2] == [EntryKind.LETTER, EntryKind.SIGNATURE]


def test_sequence_shuffles_each_batch() -> None:
    letter = make_letter()
    signed = sign_many(letter, 40)
    _drain(letter.pk, batch_max=100)
    by_index = [e.signature_id for e in _entries(letter.pk)[1:]]
    assert sorted(by_index) == [s.signature.pk for s in signed]
    # 40! orders: the arrival order coming back by chance is not a real possibility.
    assert by_index != [s.signature.pk for s in signed]


def test_sequence_builds_the_tree_and_tiles_crypto_builds() -> None:
    letter = make_letter()
    sign_many(letter, 300, tier="public")
    _drain(letter.pk, batch_max=97)
    state = LogState.objects.get(letter=letter)
    data = [bytes(e.data) for e in _entries(letter.pk)]
    tree = MemoryTree(bytes.fromhex(e.leaf_hash) for e in _entries(letter.pk))
    checkpoint, _ = open_checkpoint(state.checkpoint, verifier_from_vkey(state.vkey))
    assert (checkpoint.size, checkpoint.root_hash) == (301, tree.root())
    expected = {
        p: d for p, d in append_entries(0, data).items() if not p.startswith("tile/entries")
    }
    stored = {f"tile/{t.level}/{t.index:03d}": bytes(t.data) for t in Tile.objects.all()}
    assert stored == {p.split(".p/")[0]: d for p, d in expected.items()}


def test_withdrawal_in_the_same_batch_follows_its_signature() -> None:
    letter = make_letter()
    signed = sign(letter, "recipient")
    services.log_enqueue_withdrawal(
        letter_id=signed.signature.letter_id,
        signature_id=signed.signature.pk,
        on=signed.signature.withdrawn_on,
    )
    sign_many(letter, 10)
    _drain(letter.pk, batch_max=100)
    entries = _entries(letter.pk)
    target = next(e for e in entries if e.signature_id == signed.signature.pk)
    withdrawal = next(e for e in entries if e.kind == EntryKind.WITHDRAWAL)
    assert json.loads(bytes(withdrawal.data))["index"] == target.index
    assert (target.removed_by, withdrawal.index > target.index) == (withdrawal.index, True)
    assert log_counts(letter_id=letter.pk).counts == {
        "public": 0,
        "recipient": 0,
        "counted": 10,
        "anonymous": 0,
    }


def test_removals_after_integration_reference_the_stored_index_once() -> None:
    letter = make_letter()
    first, second, third = sign(letter), sign(letter), sign(letter, "counted")
    _drain(letter.pk, batch_max=100)
    services.log_enqueue_withdrawal(
        letter_id=first.signature.letter_id,
        signature_id=first.signature.pk,
        on=first.signature.withdrawn_on,
    )
    services.log_enqueue_withdrawal(
        letter_id=first.signature.letter_id,
        signature_id=first.signature.pk,
        on=first.signature.withdrawn_on,
    )  # a repeat must not count twice
    _drain(letter.pk, batch_max=100)
    services.log_enqueue_invalidation(
        letter_id=letter.pk,
        signature_ids=[second.signature.pk, third.signature.pk, first.signature.pk],
        reason="Duplicates",
    )
    _drain(letter.pk, batch_max=100)
    entries = _entries(letter.pk)
    index = {e.signature_id: e.index for e in entries if e.signature_id}
    removals = [json.loads(bytes(e.data)) for e in entries[4:]]
    today = removals[0]["date"]
    assert removals == [
        {"type": "withdrawal", "date": today, "index": index[first.signature.pk]},
        {
            "type": "invalidation",
            "date": today,
            "indexes": sorted([index[second.signature.pk], index[third.signature.pk]]),
            "reason": "Duplicates",
        },
    ]
    counts = log_counts(letter_id=letter.pk)
    assert (counts.total, counts.pending, counts.size) == (0, 0, 6)


def test_log_counts_reports_pending_signatures() -> None:
    letter = make_letter()
    sign_many(letter, 3, tier="public")
    _drain(letter.pk, batch_max=100)
    sign_many(letter, 2)
    counts = log_counts(letter_id=letter.pk)
    assert (counts.counts["public"], counts.total, counts.pending) == (3, 3, 2)


def test_log_counts_of_a_letter_without_log_are_zero() -> None:
    counts = log_counts(letter_id=make_letter().pk)
    assert (counts.total, counts.pending, counts.size) == (0, 0, 0)


def test_sequencer_job_waits_for_its_interval(settings: object) -> None:
    settings.SEQUENCER_INTERVAL_SECONDS = 3600  # type: ignore[attr-defined]
    job = job_named("sequencer")
    letter = make_letter()
    sign_many(letter, 2)
    assert job_run_if_due(job) == 3
    sign_many(letter, 2)
    assert job_run_if_due(job) == 0
    cache.clear()  # as when the interval has passed
    assert job_run_if_due(job) == 2


def test_one_broken_letter_does_not_stop_the_others() -> None:
    broken, fine = make_letter(), make_letter()
    sign(broken)
    sign(fine)
    LogState.objects.filter(letter=broken).update(signing_key=b"not a key")
    assert sequencer.log_sequence_all() == 2
    assert (LogState.objects.get(letter=fine).size, PendingEntry.objects.count()) == (2, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_sequencers_never_integrate_twice() -> None:
    letter = make_letter()
    signed = sign_many(letter, 400)
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run() -> None:
        try:
            start.wait()
            while sequencer.log_sequence(letter_id=letter.pk, batch_max=13):
                pass
        except BaseException as exc:  # noqa: BLE001 -- reported by the test thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    entries = _entries(letter.pk)
    assert [e.index for e in entries] == list(range(401))
    assert sorted(e.signature_id for e in entries[1:]) == [s.signature.pk for s in signed]
    state = LogState.objects.get(letter=letter)
    checkpoint, _ = open_checkpoint(state.checkpoint, verifier_from_vkey(state.vkey))
    assert checkpoint.root_hash == MemoryTree(bytes.fromhex(e.leaf_hash) for e in entries).root()


def test_signature_entries_keep_their_receipt_bytes() -> None:
    letter = make_letter()
    signed = sign(letter, "public", name="Grace")
    _drain(letter.pk, batch_max=10)
    entry = Entry.objects.get(signature=signed.signature)
    assert (bytes(entry.data), entry.tier) == (signed.receipt.entry, "public")
    assert logentries.parse_entry(bytes(entry.data)).commitment == logentries.receipt_commitment(
        signed.secret
    )


def test_worker_round_runs_the_sequencer() -> None:
    from undersigned.campaign.worker import run_jobs_once

    letter = make_letter()
    sign_many(letter, 2)
    run_jobs_once()
    assert (LogState.objects.get(letter=letter).size, PendingEntry.objects.count()) == (3, 0)
