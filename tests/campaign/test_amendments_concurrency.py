"""Under real concurrency (PostgreSQL), a signature's version is its place in the log."""

from __future__ import annotations

import threading
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.signing.helpers import details
from tests.support.factories import make_letter, make_organizer
from undersigned.campaign import letters
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.publiclog.models import Entry, EntryKind, LogState
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing import services
from undersigned.signing.errors import SigningError
from undersigned.signing.models import Signature

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SIGNERS = 40


def test_signatures_racing_an_amendment_land_on_the_side_they_checked() -> None:
    owner = make_organizer()
    letter = letters.letter_transition(
        letter=make_letter(state=State.DRAFT, owner=owner), target=State.OPEN, user=owner
    )
    codes = services.invite_batch_create(letter=letter, size=SIGNERS, label="race")
    barrier = threading.Barrier(SIGNERS + 1)

    def signer(i: int) -> str:
        try:
            barrier.wait()
            # A fresh read, as a request would make: some see version 1, some version 2.
            current = Letter.objects.get(pk=letter.pk)
            services.signing_with_invite(
                letter=current, invite_code=codes[i], details=details("counted")
            )
            return "signed"
        except SigningError as exc:
            return exc.code
        finally:
            connection.close()

    def amend(_: int) -> str:
        try:
            barrier.wait()
            letters.letter_text_set(
                letter=letter, language="en", title="Cancel the contract", body="Amended.",
                note="Changed while people signed.",
            )  # fmt: skip
            return "amended"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=SIGNERS + 1) as pool:
        futures = [pool.submit(signer, i) for i in range(SIGNERS)] + [pool.submit(amend, 0)]
        outcomes = Tally(f.result(timeout=60) for f in futures)
    assert outcomes["amended"] == 1
    assert outcomes["signed"] + outcomes["letter_amended"] == SIGNERS
    while log_sequence_all():
        pass
    by_signature = dict(
        Entry.objects.filter(letter=letter, kind=EntryKind.SIGNATURE).values_list(
            "signature_id", "version"
        )
    )
    stored = dict(Signature.objects.filter(letter=letter).values_list("pk", "version"))
    assert by_signature == stored
    assert len(stored) == outcomes["signed"]
    counts = LogState.objects.get(letter=letter).version_counts
    assert sum(counts.values()) == outcomes["signed"]
    assert counts == {str(v): n for v, n in Tally(stored.values()).items()}
