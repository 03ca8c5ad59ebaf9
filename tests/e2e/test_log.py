"""The public log end to end: served by a live server, checked by `undersigned verify` in a
subprocess, tampered with in the database the way a compromised operator would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page

from tests.publiclog.helpers import Signed, sign
from tests.support.factories import make_letter
from undersigned.common.pagecache import letter_changed
from undersigned.crypto.merkle import CompactRange, leaf_hash
from undersigned.crypto.note import Checkpoint, sign_checkpoint
from undersigned.crypto.tiles import append_tiles, parse_tile_path
from undersigned.letters.models import Letter
from undersigned.publiclog.keys import load_signer
from undersigned.publiclog.models import Entry, LogState, Tile
from undersigned.publiclog.selectors import log_counts
from undersigned.publiclog.sequencer import log_sequence
from undersigned.publiclog.services import log_enqueue_withdrawal

ROOT = Path(__file__).resolve().parents[2]
TIERS = ("public", "recipient", "counted", "anonymous")


def verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "undersigned", "verify", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def build(slug: str, count: int) -> tuple[Letter, list[Signed]]:
    letter = make_letter(slug)
    # Named tiers only: anonymous signatures carry tokens (tests/e2e/test_anonymous.py).
    signed = [sign(letter, TIERS[i % 3]) for i in range(count)]
    log_enqueue_withdrawal(
        letter_id=signed[1].signature.letter_id,
        signature_id=signed[1].signature.pk,
        on=signed[1].signature.withdrawn_on,
    )
    while log_sequence(letter_id=letter.pk, batch_max=64):
        pass
    return letter, signed


def rewrite(letter: Letter, keep: int, replace: dict[int, bytes] | None = None) -> None:
    """What a dishonest operator would do: a different, smaller tree signed with the same key."""
    state = LogState.objects.get(letter=letter)
    Entry.objects.filter(letter=letter, index__gte=keep).delete()
    for index, data in (replace or {}).items():
        Entry.objects.filter(letter=letter, index=index).update(data=data)
    entries = [bytes(e.data) for e in Entry.objects.filter(letter=letter).order_by("index")]
    leaves = [leaf_hash(e) for e in entries]
    Entry.objects.filter(letter=letter).delete()
    Entry.objects.bulk_create(
        Entry(letter=letter, index=i, kind="signature", data=d, leaf_hash=h.hex())
        for i, (d, h) in enumerate(zip(entries, leaves, strict=True))
    )
    Tile.objects.filter(letter=letter).delete()
    for path, data in append_tiles(0, leaves).items():
        ref = parse_tile_path(path)
        Tile.objects.create(letter=letter, level=ref.level or 0, index=ref.index, data=data)
    compact = CompactRange()
    compact.extend(leaves)
    checkpoint = Checkpoint(state.origin, compact.size, compact.root())
    state.size, state.root = compact.size, compact.root()
    state.checkpoint = sign_checkpoint(checkpoint, [load_signer(bytes(state.signing_key))])
    state.save()
    # A server rewriting its log serves the new checkpoint: its cache follows, as for the sequencer.
    letter_changed(slug=letter.slug)


def counts_printed(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("count ")]


def expected_counts(letter: Letter) -> list[str]:
    counts = log_counts(letter_id=letter.pk)
    lines = [f"count {tier}: {counts.counts[tier]}" for tier in TIERS]
    return [*lines, f"count total: {counts.total}"]


@pytest.mark.e2e
def test_verify_live_log_catches_tampering(live_server: Any, tmp_path: Path) -> None:
    letter, _ = build("e2e-log", 300)
    url = f"{live_server.url}/l/e2e-log/log/"
    vkey = LogState.objects.get(letter=letter).vkey
    saved = tmp_path / "saved.checkpoint"

    ok = verify(url, "--key", vkey, "--save", str(saved))
    assert (ok.returncode, ok.stderr) == (0, "")
    assert counts_printed(ok.stdout) == expected_counts(letter)
    assert counts_printed(ok.stdout)[-1] == "count total: 299"

    entry = Entry.objects.get(letter=letter, index=5)
    original = bytes(entry.data)
    Entry.objects.filter(pk=entry.pk).update(data=original.replace(b'"date":"', b'"date":"1'))
    bad = verify(url, "--key", vkey)
    assert bad.returncode == 1
    assert bad.stderr.startswith("FAILED: entry 5 (in tile/entries/000) does not match its leaf")
    Entry.objects.filter(pk=entry.pk).update(data=original)

    tile = Tile.objects.get(letter=letter, level=0, index=0)
    Tile.objects.filter(pk=tile.pk).update(data=b"\x00" * 32 + bytes(tile.data)[32:])
    bad = verify(url, "--key", vkey)
    assert (bad.returncode, bad.stderr) == (
        1,
        "FAILED: tile/0/000 does not match its hash in tile/1/000.p/1 (tile altered)\n",
    )
    Tile.objects.filter(pk=tile.pk).update(data=tile.data)

    state = LogState.objects.get(letter=letter)
    good_checkpoint = state.checkpoint
    LogState.objects.filter(pk=state.pk).update(
        checkpoint=good_checkpoint.replace("\n302\n", "\n301\n")
    )
    letter_changed(slug=letter.slug)  # the forger serves its forgery, not our cached checkpoint
    bad = verify(url, "--key", vkey)
    assert (bad.returncode, bad.stderr) == (
        1,
        f"FAILED: checkpoint: signature from {state.origin!r} does not verify\n",
    )
    LogState.objects.filter(pk=state.pk).update(checkpoint=good_checkpoint)
    letter_changed(slug=letter.slug)
    assert verify(url, "--key", vkey, "--since", str(saved)).returncode == 0


@pytest.mark.e2e
def test_since_catches_a_log_resigned_smaller_or_rewritten(
    live_server: Any, tmp_path: Path
) -> None:
    letter, _ = build("e2e-fork", 40)
    url = f"{live_server.url}/l/e2e-fork/log/"
    vkey = LogState.objects.get(letter=letter).vkey
    saved = tmp_path / "saved.checkpoint"
    assert verify(url, "--key", vkey, "--save", str(saved)).returncode == 0

    rewrite(letter, keep=30)
    # The smaller log is consistent in itself: only the saved checkpoint shows what happened.
    assert verify(url, "--key", vkey).returncode == 0
    bad = verify(url, "--key", vkey, "--since", str(saved))
    assert (bad.returncode, bad.stderr) == (
        1,
        "FAILED: inconsistent: the saved checkpoint has 42 entries, the log now only 30: "
        "entries were removed\n",
    )


@pytest.mark.e2e
def test_since_catches_a_rewritten_entry(live_server: Any, tmp_path: Path) -> None:
    letter, _ = build("e2e-rewrite", 20)
    url = f"{live_server.url}/l/e2e-rewrite/log/"
    vkey = LogState.objects.get(letter=letter).vkey
    saved = tmp_path / "saved.checkpoint"
    assert verify(url, "--key", vkey, "--save", str(saved)).returncode == 0
    other = sign(make_letter("elsewhere"), "counted").receipt.entry
    rewrite(letter, keep=22, replace={3: other})
    bad = verify(url, "--key", vkey, "--since", str(saved))
    assert bad.returncode == 1
    assert bad.stderr.startswith(
        "FAILED: inconsistent with the saved checkpoint of size 22: the log was rewritten"
    )


@pytest.mark.e2e
def test_receipts_and_directory_copies(live_server: Any, tmp_path: Path) -> None:
    letter, signed = build("e2e-receipt", 12)
    url = f"{live_server.url}/l/e2e-receipt/log/"
    vkey = LogState.objects.get(letter=letter).vkey
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps(signed[4].receipt_json()))
    ok = verify(url, "--key", vkey, "--receipt", str(receipt))
    assert (ok.returncode, ok.stdout.splitlines()[-2].startswith("receipt    entry ")) == (0, True)
    assert ok.stdout.splitlines()[-2].endswith(
        "is in the log, counted; the receipt secret opens its commitment"
    )
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**signed[4].receipt_json(), "receipt_secret": signed[5].secret}))
    bad = verify(url, "--key", vkey, "--receipt", str(forged))
    assert (bad.returncode, bad.stderr) == (
        1,
        "FAILED: receipt: the receipt secret does not open the entry's commitment\n",
    )

    copy = tmp_path / "copy"
    call_command("log_export", "e2e-receipt", str(copy))
    offline = verify(str(copy), "--key", vkey, "--receipt", str(receipt))
    assert (offline.returncode, counts_printed(offline.stdout)) == (0, expected_counts(letter))


@pytest.mark.e2e
def test_receipt_check_page_in_a_browser(live_server: Any, page: Page) -> None:
    _, signed = build("e2e-page", 6)
    page.goto(f"{live_server.url}/l/e2e-page/log/")
    assert page.locator("h1").inner_text() == "The public log of Cancel the contract"
    page.get_by_role("textbox", name="Your receipt").fill(json.dumps(signed[2].receipt_json()))
    page.get_by_role("button", name="Check my receipt").click()
    result = page.locator("#receipt-result")
    assert result.locator("strong").first.inner_text() == "Your signature is in the log"
    assert "The receipt secret matches the entry: it is yours." in result.inner_text()

    page.get_by_role("textbox", name="Your receipt").fill("{ not a receipt")
    page.get_by_role("button", name="Check my receipt").click()
    assert page.locator("#receipt-error").inner_text() == (
        "This is not a receipt. Paste the whole receipt, from { to }, or only its secret."
    )
    assert page.get_by_role("textbox", name="Your receipt").get_attribute("aria-invalid") == "true"
