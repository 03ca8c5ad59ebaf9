"""Versions of an open letter: typo fixes before the first signature, amendments after."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from tests.signing.helpers import details, last_message, outbox_code, sign, start
from tests.support.factories import make_letter, make_organizer
from undersigned.accounts.models import User
from undersigned.campaign import letters as services
from undersigned.letters.models import Demand, Letter, LetterText, LetterVersion
from undersigned.letters.states import State
from undersigned.letters.versions import letter_text_hash
from undersigned.publiclog.models import Entry, EntryKind, LogState, PendingEntry
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing import services as signing
from undersigned.signing.errors import LetterAmended
from undersigned.signing.models import Issuance, Signature
from undersigned.web.public.versions import letter_versions

pytestmark = pytest.mark.django_db

NOTE = "Demand 2 now names the contract."


def _opened(owner: User) -> Letter:
    letter = make_letter(state=State.DRAFT, owner=owner)
    return services.letter_transition(letter=letter, target=State.OPEN, user=owner)


def _amend(
    letter: Letter, *, note: str = NOTE, body: str = "We ask leadership to act now."
) -> None:
    services.letter_text_set(
        letter=letter, language="en", title="Cancel the contract", body=body, note=note
    )


def _amendments(letter: Letter) -> list[str]:
    rows = PendingEntry.objects.filter(letter=letter, kind=EntryKind.AMENDMENT)
    return [json.loads(bytes(row.data or b""))["text_hash"] for row in rows]


def test_open_records_version_one_with_the_genesis_hash() -> None:
    letter = _opened(make_organizer())
    version = LetterVersion.objects.get(letter=letter)
    genesis = PendingEntry.objects.get(letter=letter, kind=EntryKind.LETTER)
    assert (version.number, version.note) == (1, "")
    assert version.text_hash == json.loads(bytes(genesis.data or b""))["text_hash"]
    assert version.snapshot["texts"]["en"]["title"] == "Cancel the contract"


def test_fix_before_first_signature_needs_no_note() -> None:
    letter = _opened(make_organizer())
    _amend(letter, note="")
    letter.refresh_from_db()
    assert letter.version == 2
    assert _amendments(letter) == [letter_text_hash(letter=letter)]
    assert [v.note for v in LetterVersion.objects.filter(letter=letter)] == ["", ""]


def test_change_after_first_signature_without_note_is_refused_and_changes_nothing() -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    with pytest.raises(ValidationError) as refused:
        _amend(letter, note="  ")
    assert list(refused.value.message_dict) == ["note"]
    letter.refresh_from_db()
    assert letter.version == 1
    body = LetterText.objects.get(letter=letter, language="en").body
    assert body == "We, the undersigned, ask **leadership** to act."
    assert _amendments(letter) == []


def test_anonymous_token_taken_counts_as_signed() -> None:
    letter = _opened(make_organizer())
    Issuance.objects.create(letter=letter, mailbox_hash="0" * 64)
    with pytest.raises(ValidationError):
        _amend(letter, note="")


def test_amendment_records_version_note_and_log_entry() -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    _amend(letter)
    letter.refresh_from_db()
    newest = LetterVersion.objects.get(letter=letter, number=2)
    assert (letter.version, newest.note) == (2, NOTE)
    assert newest.text_hash == letter_text_hash(letter=letter)
    assert newest.snapshot["texts"]["en"]["body"] == "We ask leadership to act now."
    assert _amendments(letter) == [newest.text_hash]


def test_saving_the_same_text_records_no_version() -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    _amend(letter, body="We, the undersigned, ask **leadership** to act.")
    letter.refresh_from_db()
    assert (letter.version, _amendments(letter)) == (1, [])


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("Fixed \u202ethe date", "The note contains invisible direction-changing characters."),
        ("x" * 501, "The note is too long (501 characters; the limit is 500)."),
        ("bell \x07", "The note contains control characters."),
    ],
)
def test_amendment_note_rejects_hostile_input(note: str, message: str) -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    with pytest.raises(ValidationError) as refused:
        _amend(letter, note=note)
    assert refused.value.message_dict["note"][0].startswith(message.rstrip("."))
    assert Letter.objects.get(pk=letter.pk).version == 1


def test_amendment_note_keeps_html_as_text() -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    _amend(letter, note="<b>bold</b> & more")
    assert LetterVersion.objects.get(letter=letter, number=2).note == "<b>bold</b> & more"


def test_demand_changes_are_amendments_too() -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    demand = Demand.objects.filter(letter=letter).first()
    assert demand is not None
    with pytest.raises(ValidationError):
        services.demand_remove(demand=demand)
    services.demand_remove(demand=demand, note="The first demand was met.")
    services.demand_add(letter=letter, texts={"en": "A new demand"}, note="Added one.")
    notes = [v.note for v in LetterVersion.objects.filter(letter=letter)]
    assert notes == ["", "The first demand was met.", "Added one."]


def test_closed_letter_text_cannot_change_even_with_a_note() -> None:
    owner = make_organizer()
    letter = _opened(owner)
    services.letter_transition(letter=letter, target=State.CLOSED, user=owner)
    with pytest.raises(ValidationError):
        _amend(letter)


def test_signatures_stay_with_the_version_they_signed() -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    sign(letter, "ben@example.org")
    _amend(letter)
    letter.refresh_from_db()
    sign(letter, "cy@example.org")
    log_sequence_all()
    versions = dict(
        Signature.objects.filter(letter=letter).values_list("receipt_commitment", "version")
    )
    entries = Entry.objects.filter(letter=letter, kind=EntryKind.SIGNATURE)
    assert sorted(versions.values()) == [1, 1, 2]
    assert sorted(e.version for e in entries) == [1, 1, 2]
    # Each signature's entry comes after exactly (its version - 1) amendment entries.
    amendment_index = Entry.objects.get(letter=letter, kind=EntryKind.AMENDMENT).index
    assert sorted((e.index > amendment_index) + 1 for e in entries) == [1, 1, 2]
    state = LogState.objects.get(letter=letter)
    assert state.version_counts == {"1": 2, "2": 1}
    assert [(v.number, v.count) for v in letter_versions(letter=letter)] == [(2, 1), (1, 2)]


def test_start_with_an_old_version_is_refused() -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    _amend(letter)
    letter.refresh_from_db()
    with pytest.raises(LetterAmended):
        signing.signing_start(
            letter=letter,
            email="ben@example.org",
            details=details(),
            updates=False,
            language="en",
            version=1,
        )
    assert Signature.objects.filter(letter=letter).count() == 1


def test_confirm_after_an_amendment_is_refused_then_a_new_start_signs() -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    start(letter, "ben@example.org")
    code = outbox_code("ben@example.org")
    _amend(letter)
    letter.refresh_from_db()
    with pytest.raises(LetterAmended):
        signing.signing_confirm(letter=letter, email="ben@example.org", code=code)
    assert Signature.objects.filter(letter=letter).count() == 1
    start(letter, "ben@example.org")
    signing.signing_confirm(
        letter=letter, email="ben@example.org", code=outbox_code("ben@example.org")
    )
    assert sorted(Signature.objects.filter(letter=letter).values_list("version", flat=True)) == [
        1,
        2,
    ]


def test_api_start_with_an_old_version_is_a_409(client: Client) -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    _amend(letter)
    body = {"email": "ben@example.org", "tier": "counted", "version": 1}
    response = client.post(
        f"/api/v1/letters/{letter.slug}/signatures", body, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "letter_amended"
    body["version"] = 2
    response = client.post(
        f"/api/v1/letters/{letter.slug}/signatures", body, content_type="application/json"
    )
    assert response.status_code == 202


@pytest.mark.parametrize("version", [0, -1, 10**12, "two"])
def test_api_start_with_a_malformed_version_is_a_422(client: Client, version: object) -> None:
    letter = _opened(make_organizer())
    body = {"email": "ben@example.org", "tier": "counted", "version": version}
    response = client.post(
        f"/api/v1/letters/{letter.slug}/signatures", body, content_type="application/json"
    )
    assert response.status_code == 422


def test_web_start_from_an_old_page_says_to_read_again_then_signs(client: Client) -> None:
    letter = _opened(make_organizer())
    sign(letter, "ana@example.org")
    link = re.search(
        r'href="(/l/[^"]+/sign/\?v=1)"', client.get(f"/l/{letter.slug}/").content.decode()
    )
    assert link is not None
    page = client.get(link.group(1)).content.decode()  # the reader has the page of version 1
    _amend(letter)
    hidden = re.findall(r'name="version" value="(\d+)"', page)
    assert hidden == ["1"]
    form = {"email": "ben@example.org", "tier": "counted", "version": "1", "language": "en"}
    response = client.post(f"/l/{letter.slug}/sign/", form)
    assert response.status_code == 409
    shown = response.content.decode()
    assert "The letter was changed after you started signing." in shown
    assert re.findall(r'name="version" value="(\d+)"', shown) == ["2"]
    form["version"] = "2"
    assert client.post(f"/l/{letter.slug}/sign/", form).status_code == 200
    assert last_message("ben@example.org")["To"] == "ben@example.org"


@pytest.mark.parametrize("given", ["0", "-1", "abc", "1" * 8, "\u0661", ""])
def test_web_start_ignores_a_malformed_version_in_the_link(client: Client, given: str) -> None:
    letter = _opened(make_organizer())
    page = client.get(f"/l/{letter.slug}/sign/", {"v": given}).content.decode()
    assert re.findall(r'name="version" value="(\d+)"', page) == ["1"]


def test_verify_counts_per_version_from_the_log_alone(tmp_path: Path) -> None:
    letter = _opened(make_organizer())
    first = sign(letter, "ana@example.org")
    sign(letter, "ben@example.org")
    _amend(letter)
    letter.refresh_from_db()
    sign(letter, "cy@example.org")
    signing.signature_withdraw(letter=letter, receipt_secret=first.secret)
    _amend(letter, body="Third text.", note="Once more.")
    letter.refresh_from_db()
    sign(letter, "di@example.org")
    log_sequence_all()
    out = io.StringIO()
    call_command("log_export", letter.slug, str(tmp_path / "copy"), stdout=out)
    vkey = LogState.objects.get(letter=letter).vkey
    call_command("verify", str(tmp_path / "copy"), "--key", vkey, stdout=(printed := io.StringIO()))
    lines = printed.getvalue().splitlines()
    assert [line for line in lines if line.startswith("count for text version")] == [
        "count for text version 1: 1",
        "count for text version 2: 1",
        "count for text version 3: 1",
    ]
    assert LogState.objects.get(letter=letter).version_counts == {"1": 1, "2": 1, "3": 1}
