from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from tests.support.factories import make_addendum, make_letter
from undersigned.letters.states import State

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_addendum_pdf_served_as_attachment(client: Client) -> None:
    letter = make_letter("cancel")
    addendum = make_addendum(letter, title="Budget 2025", kind="pdf", content=PDF)
    response = client.get(f"/l/cancel/addenda/{addendum.pk}/budget-2025.pdf")
    assert response.status_code == 200
    assert response.content == PDF
    assert {
        name: response[name]
        for name in (
            "Content-Type",
            "Content-Disposition",
            "X-Content-Type-Options",
            "Content-Security-Policy",
            "ETag",
        )
    } == {
        "Content-Type": "application/pdf",
        "Content-Disposition": 'attachment; filename="budget-2025.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "ETag": f'"{hashlib.sha256(PDF).hexdigest()}"',
    }


def test_addendum_markdown_served_as_utf8_text(client: Client) -> None:
    letter = make_letter("cancel")
    content = "# ملخص\n\n<script>alert(1)</script>\n".encode()
    addendum = make_addendum(letter, title="Summary", content=content)
    response = client.get(f"/l/cancel/addenda/{addendum.pk}/summary.md")
    assert (response.status_code, response.content, response["Content-Type"]) == (
        200,
        content,
        "text/markdown; charset=utf-8",
    )
    assert response["Content-Disposition"] == 'attachment; filename="summary.md"'


def test_addendum_matching_etag_is_304(client: Client) -> None:
    letter = make_letter("cancel")
    addendum = make_addendum(letter)
    response = client.get(
        f"/l/cancel/addenda/{addendum.pk}/x.md",
        headers={"if-none-match": f'"{addendum.sha256}"'},
    )
    assert (response.status_code, response.content) == (304, b"")


def test_addendum_any_filename_gets_the_canonical_one(client: Client) -> None:
    letter = make_letter("cancel")
    addendum = make_addendum(letter, title="Summary")
    response = client.get(f"/l/cancel/addenda/{addendum.pk}/evil.html")
    assert (response.status_code, response["Content-Disposition"]) == (
        200,
        'attachment; filename="summary.md"',
    )


def test_addendum_of_another_letter_is_404(client: Client) -> None:
    make_letter("cancel")
    other = make_letter("other")
    addendum = make_addendum(other)
    assert client.get(f"/l/cancel/addenda/{addendum.pk}/summary.md").status_code == 404


@pytest.mark.parametrize("state", [State.DRAFT, State.ARCHIVED])
def test_addendum_of_hidden_letter_is_404(client: Client, state: str) -> None:
    letter = make_letter("cancel", state=state)
    addendum = make_addendum(letter)
    assert client.get(f"/l/cancel/addenda/{addendum.pk}/summary.md").status_code == 404


@pytest.mark.parametrize("addendum_id", ["0", "99999", "9" * 40])
def test_addendum_unknown_id_is_404(client: Client, addendum_id: str) -> None:
    make_letter("cancel")
    assert client.get(f"/l/cancel/addenda/{addendum_id}/x.md").status_code == 404


def test_addendum_post_is_405(client: Client) -> None:
    letter = make_letter("cancel")
    addendum = make_addendum(letter)
    assert client.post(f"/l/cancel/addenda/{addendum.pk}/summary.md").status_code == 405
