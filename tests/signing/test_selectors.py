"""Reads: counts, the k-rule breakdown, the public list, the organizer table, the export."""

from __future__ import annotations

import pytest

from tests.signing.helpers import sign
from tests.support.factories import make_letter
from undersigned.letters.models import Letter
from undersigned.signing import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"], breakdown_threshold=3)


def test_breakdown_hides_small_groups_under_k(letter: Letter) -> None:
    for i in range(3):
        sign(letter, f"c{i}@example.org", tier="counted", department="Cloud" if i else "cloud")
    sign(letter, "s@example.org", tier="recipient", department="Sales")
    sign(letter, "l@example.org", department="Legal")

    breakdown = selectors.department_breakdown(letter_id=letter.pk)

    assert breakdown == selectors.Breakdown(
        threshold=3, groups=[selectors.Group(label="Cloud", count=3)], small_groups=2
    )


def test_breakdown_follows_withdrawals(letter: Letter) -> None:
    receipts = [sign(letter, f"c{i}@example.org", department="Cloud") for i in range(3)]
    assert selectors.department_breakdown(letter_id=letter.pk).groups == [
        selectors.Group(label="Cloud", count=3)
    ]

    services.signature_withdraw(letter=letter, receipt_secret=receipts[0].secret)

    assert selectors.department_breakdown(letter_id=letter.pk) == selectors.Breakdown(
        threshold=3, groups=[], small_groups=1
    )


def test_public_signatories_only_public_tier_newest_first(letter: Letter) -> None:
    sign(letter, "a@example.org", name="First")
    sign(letter, "b@example.org", name="Hidden", tier="recipient")
    sign(letter, "c@example.org", tier="counted")
    sign(letter, "d@example.org", name="Second", title="Nurse")

    page = selectors.public_signatories(letter_id=letter.pk)

    assert [(r["name"], r["title"]) for r in page.rows] == [("Second", "Nurse"), ("First", "")]
    assert (page.number, page.has_next) == (1, False)


def test_public_signatories_pages_of_50(letter: Letter) -> None:
    for i in range(51):
        sign(letter, f"p{i}@example.org", name=f"P{i}")

    first = selectors.public_signatories(letter_id=letter.pk, page=1)
    second = selectors.public_signatories(letter_id=letter.pk, page=2)

    assert (len(first.rows), first.has_next, len(second.rows), second.has_next) == (
        50,
        True,
        1,
        False,
    )
    assert second.rows[0]["name"] == "P0"


def test_organizer_rows_show_only_what_tier_allows(letter: Letter) -> None:
    sign(letter, "c@example.org", tier="counted", department="Cloud")
    sign(letter, "r@example.org", tier="recipient", name="Rita", location="Cairo")

    rows = selectors.organizer_signatures(letter_id=letter.pk).rows

    assert [r["fields"] for r in rows] == [
        {"name": "Rita", "title": "", "department": "", "location": "Cairo"},
        {},
    ]
    assert [set(r) for r in rows] == [
        {"id", "tier", "tier_label", "signed_on", "status", "flagged", "fields"}
    ] * 2


def test_export_rows_public_and_recipient_only(letter: Letter) -> None:
    sign(letter, "a@example.org", name="Ana")
    sign(letter, "r@example.org", tier="recipient", name="Rita")
    sign(letter, "c@example.org", tier="counted", department="Cloud")

    rows = list(selectors.export_rows(letter_id=letter.pk))

    assert [(r["tier"], r["name"]) for r in rows] == [("public", "Ana"), ("recipient", "Rita")]
