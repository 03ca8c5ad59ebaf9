"""Reading an earlier version of a letter, on its page and through the API."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from django.test import Client

from tests.signing.helpers import sign
from tests.support.factories import make_letter, make_organizer
from undersigned.campaign import letters as services
from undersigned.crypto.canonical import canonical_json
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.publiclog.models import EntryKind, PendingEntry

pytestmark = pytest.mark.django_db

OLD_BODY = "We, the undersigned, ask **leadership** to act."


def _amended() -> Letter:
    owner = make_organizer()
    letter = make_letter(state=State.DRAFT, owner=owner, arabic=True)
    letter = services.letter_transition(letter=letter, target=State.OPEN, user=owner)
    sign(letter, "ana@example.org")
    services.letter_text_set(
        letter=letter, language="en", title="Cancel the contract", body="New text <b>now</b>.",
        note="Shorter.",
    )  # fmt: skip
    letter.refresh_from_db()
    return letter


def test_version_page_shows_the_text_as_it_was_signed(client: Client) -> None:
    letter = _amended()
    html = client.get(f"/l/{letter.slug}/versions/1/").content.decode()
    assert re.findall(r'<div class="letter-body">(.*?)</div>', html, re.S) == [
        "<p>We, the undersigned, ask <strong>leadership</strong> to act.</p>"
    ]
    assert "It has been amended since" in html
    current = client.get(f"/l/{letter.slug}/versions/2/").content.decode()
    assert re.findall(r'<div class="letter-body">(.*?)</div>', current, re.S) == [
        "<p>New text &lt;b&gt;now&lt;/b&gt;.</p>"
    ]
    assert 'What changed: <span dir="auto">Shorter.</span>' in current


def test_version_page_in_another_language(client: Client) -> None:
    letter = _amended()
    response = client.get(f"/l/{letter.slug}/versions/1/", {"lang": "ar"})
    assert response["Content-Language"] == "ar"
    assert re.findall(r"<h1>(.*?)</h1>", response.content.decode()) == ["ألغوا العقد"]


@pytest.mark.parametrize("number", ["0", "3", "99999999999999999999"])
def test_version_page_of_a_missing_version_is_a_404(client: Client, number: str) -> None:
    letter = _amended()
    assert client.get(f"/l/{letter.slug}/versions/{number}/").status_code == 404
    response = client.get(f"/api/v1/letters/{letter.slug}/versions/{number}")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_version_of_a_draft_is_a_404(client: Client) -> None:
    letter = make_letter(state=State.DRAFT)
    assert client.get(f"/l/{letter.slug}/versions/1/").status_code == 404
    assert client.get(f"/api/v1/letters/{letter.slug}/versions/1").status_code == 404


def test_api_version_document_hashes_to_what_the_log_published(client: Client) -> None:
    letter = _amended()
    published = [
        json.loads(bytes(row.data or b""))["text_hash"]
        for row in PendingEntry.objects.filter(
            letter=letter, kind__in=[EntryKind.LETTER, EntryKind.AMENDMENT]
        ).order_by("id")
    ]
    found = []
    for number in (1, 2):
        data = client.get(f"/api/v1/letters/{letter.slug}/versions/{number}").json()
        recomputed = hashlib.sha256(canonical_json(data["document"])).hexdigest()
        assert recomputed == data["text_hash"]
        found.append(data["text_hash"])
    assert found == published
    first = client.get(f"/api/v1/letters/{letter.slug}/versions/1").json()
    assert (first["note"], first["document"]["texts"]["en"]["body"]) == ("", OLD_BODY)


def test_api_version_number_not_a_number_is_a_422(client: Client) -> None:
    letter = _amended()
    response = client.get(f"/api/v1/letters/{letter.slug}/versions/one")
    assert response.status_code == 422
