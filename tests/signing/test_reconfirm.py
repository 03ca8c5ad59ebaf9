"""Signers who asked for updates are asked to confirm an amended letter, and can."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.delivery.updates_helpers import fan_out
from tests.signing.helpers import last_message, sign, text_of
from tests.support.factories import make_letter, make_organizer
from undersigned.campaign import letters
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.mail.models import OutboxMessage
from undersigned.publiclog.models import EntryKind, LogState, PendingEntry
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing import codes, services
from undersigned.signing.errors import NothingToReconfirm
from undersigned.signing.models import Signature
from undersigned.signing.selectors import letter_counts

pytestmark = pytest.mark.django_db


def _open_letter() -> Letter:
    owner = make_organizer()
    letter = make_letter(state=State.DRAFT, owner=owner)
    return letters.letter_transition(letter=letter, target=State.OPEN, user=owner)


def _amend(letter: Letter, note: str = "The deadline moved to June.") -> Letter:
    letters.letter_text_set(
        letter=letter, language="en", title="Cancel the contract", body="New text.", note=note
    )
    fan_out()  # the worker writes the requests to the outbox
    letter.refresh_from_db()
    return letter


def _reconfirm_path(to: str) -> str:
    match = re.search(r"(/l/[^/]+/sign/reconfirm/[^/\s]+/)", text_of(last_message(to)))
    assert match is not None, "no re-confirm link"
    return match.group(1)


def test_amendment_asks_only_active_subscribers_of_older_versions() -> None:
    letter = _open_letter()
    sign(letter, "ana@example.org", updates=True)  # type: ignore[arg-type]
    sign(letter, "ben@example.org")
    gone = sign(letter, "cy@example.org", updates=True)  # type: ignore[arg-type]
    services.signature_withdraw(letter=letter, receipt_secret=gone.secret)
    before = OutboxMessage.objects.count()
    _amend(letter)
    assert OutboxMessage.objects.count() - before == 1
    message = last_message("ana@example.org")
    assert message["Subject"] == "A letter you signed has changed"
    text = text_of(message)
    assert "The deadline moved to June." in text
    assert "Your signature stays with version 1" in text


def test_arabic_subscriber_is_asked_in_arabic() -> None:
    letter = _open_letter()
    sign(letter, "ana@example.org", updates=True, language="ar")  # type: ignore[arg-type]
    _amend(letter)
    message = last_message("ana@example.org")
    # Python folds a long encoded subject onto a continuation line; unfolding leaves a space.
    assert str(message["Subject"]).strip() == "تغيّر نص رسالة وقّعت عليها"


def test_reconfirm_moves_the_signature_to_the_new_version(client: Client) -> None:
    letter = _open_letter()
    first = sign(letter, "ana@example.org", updates=True, name="Ana Lima")  # type: ignore[arg-type]
    log_sequence_all()
    letter = _amend(letter)
    path = _reconfirm_path("ana@example.org")
    page = client.get(path)
    assert page.status_code == 200
    assert "The deadline moved to June." in page.content.decode()
    assert Signature.objects.get(letter=letter, withdrawn_on__isnull=True).version == 1
    done = client.post(path, {"language": "en"})
    assert done.status_code == 200
    active = Signature.objects.get(letter=letter, withdrawn_on__isnull=True)
    old = Signature.objects.get(letter=letter, withdrawn_on__isnull=False)
    assert (active.version, active.name, active.tier) == (2, "Ana Lima", "public")
    assert active.updates_address is not None
    assert (old.name, old.mailbox_hash, old.updates_address) == ("", None, None)
    assert old.receipt_commitment == codes.receipt_lookup_hash(first.secret)
    # Counted once before and after; the log shows the move.
    assert letter_counts(letter_id=letter.pk).total == 1
    log_sequence_all()
    state = LogState.objects.get(letter=letter)
    assert (state.counts["public"], state.version_counts) == (1, {"1": 0, "2": 1})
    assert PendingEntry.objects.filter(letter=letter).count() == 0
    # A second press finds nothing to move.
    again = client.post(path, {"language": "en"})
    assert again.status_code == 404


def test_reconfirm_get_changes_nothing(client: Client) -> None:
    letter = _open_letter()
    sign(letter, "ana@example.org", updates=True)  # type: ignore[arg-type]
    _amend(letter)
    for _ in range(3):
        assert client.get(_reconfirm_path("ana@example.org")).status_code == 200
    assert list(Signature.objects.values_list("version", "withdrawn_on")) == [(1, None)]
    assert PendingEntry.objects.filter(kind=EntryKind.WITHDRAWAL).count() == 0


@pytest.mark.parametrize(
    "token", ["1.AAAAAAAAAAAAAAAAAAAAAAAA", "x", "99999999999999999999.abc", "\u0661.abc", "1"]
)
def test_reconfirm_forged_link_is_a_404(client: Client, token: str) -> None:
    letter = _open_letter()
    sign(letter, "ana@example.org", updates=True)  # type: ignore[arg-type]
    _amend(letter)
    assert client.get(f"/l/{letter.slug}/sign/reconfirm/{token}/").status_code == 404
    assert client.post(f"/l/{letter.slug}/sign/reconfirm/{token}/").status_code == 404
    assert Signature.objects.get().version == 1


def test_reconfirm_token_of_another_letter_is_refused() -> None:
    letter = _open_letter()
    other = _open_letter()
    signed = sign(letter, "ana@example.org", updates=True)  # type: ignore[arg-type]
    _amend(letter)
    signature = Signature.objects.get(receipt_commitment=codes.receipt_lookup_hash(signed.secret))
    token = codes.signature_link_token(signature.pk, "reconfirm")
    with pytest.raises(NothingToReconfirm):
        services.signature_reconfirm(letter=other, token=token)


def test_reconfirm_on_a_closed_letter_is_refused(client: Client) -> None:
    owner = make_organizer()
    letter = make_letter(state=State.DRAFT, owner=owner)
    letter = letters.letter_transition(letter=letter, target=State.OPEN, user=owner)
    sign(letter, "ana@example.org", updates=True)  # type: ignore[arg-type]
    letter = _amend(letter)
    path = _reconfirm_path("ana@example.org")
    letters.letter_transition(letter=letter, target=State.CLOSED, user=owner)
    assert client.get(path).status_code == 409
    response = client.post(path)
    assert response.status_code == 409
    assert Signature.objects.get().version == 1


def test_reconfirm_request_carries_one_click_unsubscribe() -> None:
    letter = _open_letter()
    sign(letter, "ana@example.org", updates=True)  # type: ignore[arg-type]
    _amend(letter)
    message = last_message("ana@example.org")
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert str(message["List-Unsubscribe"]).strip().startswith("<http://")
    assert "To stop them: http" in text_of(message)


def test_amendment_itself_writes_no_message_and_holds_no_subscriber_loop() -> None:
    letter = _open_letter()
    for n in range(3):
        sign(letter, f"s{n}@example.org", updates=True)  # type: ignore[arg-type]
    before = OutboxMessage.objects.count()
    letters.letter_text_set(
        letter=letter, language="en", title="Cancel the contract", body="New.", note="Changed."
    )
    assert OutboxMessage.objects.count() == before
    assert fan_out() == 3
