"""A counted signer's department reaches organizers, the recipient and the public only in a
breakdown group of at least k: never in a row, the export or either copy of the delivered PDF.

Two canary departments: one stays below k, one grows to k. A public signer's department (in its
row) and a group of k counted signers prove that each surface searched can show a department.
"""

from __future__ import annotations

import io
from email import message_from_bytes, policy

import pytest
from django.test import Client
from pypdf import PdfReader

from tests.signing.helpers import sign
from tests.support.factories import PASSWORD, make_letter, make_organizer
from undersigned.accounts.models import Membership, Role
from undersigned.delivery.models import Delivery
from undersigned.delivery.services import delivery_job, delivery_request
from undersigned.letters.models import Letter

pytestmark = pytest.mark.django_db

SMALL, GROWING = "Canary Small 5f3a9c", "Canary Growing 0be21d"


def _organizer(letter: Letter, role: Role) -> Client:
    user = make_organizer()
    Membership.objects.create(user=user, letter=letter, role=role)
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _organizer_surfaces(letter: Letter) -> list[str]:
    base = f"/manage/letters/{letter.slug}/signatures/"
    viewer, editor = _organizer(letter, Role.VIEWER), _organizer(letter, Role.EDITOR)
    export = editor.get(f"{base}export.csv")
    return [
        viewer.get(base).content.decode(),
        viewer.get(f"{base}?tier=counted").content.decode(),
        b"".join(export.streaming_content).decode(),  # type: ignore[attr-defined]
    ]


def _pdf_surfaces(letter: Letter) -> list[str]:
    """The public copy as a visitor downloads it, the recipient's as its email carries it."""
    public = Client().get(f"/l/{letter.slug}/delivered.pdf").content
    outbox = Delivery.objects.get(letter=letter).message
    assert outbox is not None
    message = message_from_bytes(bytes(outbox.message), policy=policy.default)
    private = next(message.iter_attachments()).get_content()  # type: ignore[attr-defined]
    return [
        "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        for pdf in (public, private)
    ]


def _count(needle: str, surfaces: list[str]) -> list[int]:
    return [surface.casefold().count(needle.casefold()) for surface in surfaces]


def test_counted_department_only_in_a_breakdown_group_of_k() -> None:
    letter = make_letter(domains=["example.org"], breakdown_threshold=3)
    sign(letter, "pub@example.org", name="Pia Public", department="Wards")
    for i in range(3):
        sign(letter, f"big{i}@example.org", tier="counted", department="Cloud")
    sign(letter, "small@example.org", tier="counted", department=SMALL)
    sign(letter, "grow0@example.org", tier="counted", department=GROWING)

    pages = _organizer_surfaces(letter)
    # Proof the pages show departments: a public signer's in its row, a group of k's count.
    assert ("<td>Wards</td>" in pages[0], "<td>Cloud</td><td>3</td>" in pages[0]) == (True, True)
    assert (_count(SMALL, pages), _count(GROWING, pages)) == ([0, 0, 0], [0, 0, 0])

    for i in (1, 2):
        sign(letter, f"grow{i}@example.org", tier="counted", department=GROWING.lower())
    pages = _organizer_surfaces(letter)
    # At k, named once on each page (the breakdown, in the spelling most used), never in a row.
    assert f"<td>{GROWING.lower()}</td><td>3</td>" in pages[0]
    assert (_count(SMALL, pages), _count(GROWING, pages)) == ([0, 0, 0], [1, 1, 0])

    delivery_request(letter=letter, user=None)
    assert delivery_job() == 1
    pdfs = _pdf_surfaces(letter)
    lines = [pdf.splitlines() for pdf in pdfs]
    assert [("Cloud: 3" in found, f"{GROWING.lower()}: 3" in found) for found in lines] == [
        (True, True),
        (True, True),
    ]
    assert (_count(SMALL, pdfs), _count(GROWING, pdfs)) == ([0, 0], [1, 1])
