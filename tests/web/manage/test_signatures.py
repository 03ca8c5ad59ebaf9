"""The organizer pages: roles, what each tier shows, export, flag, invalidate, invite sheet."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.signing.helpers import sign
from tests.support.factories import PASSWORD, make_letter, make_organizer
from undersigned.accounts.models import Membership, Role, User
from undersigned.letters.models import Letter
from undersigned.signing.models import Invalidation, InviteCode, Signature
from undersigned.signing.selectors import letter_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


def _client(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _member(letter: Letter, role: Role) -> Client:
    user = make_organizer()
    Membership.objects.create(user=user, letter=letter, role=role)
    return _client(user)


def _base(letter: Letter) -> str:
    return f"/manage/letters/{letter.slug}/signatures/"


def test_list_is_404_for_strangers_and_missing_letters(client: Client, letter: Letter) -> None:
    stranger = _client(make_organizer())

    statuses = [
        client.get(_base(letter)).status_code,
        stranger.get(_base(letter)).status_code,
        stranger.get("/manage/letters/no-such/signatures/").status_code,
    ]

    assert statuses == [404, 404, 404]


def test_list_shows_each_tier_as_allowed(letter: Letter) -> None:
    sign(letter, "pub@example.org", name="Pia Public", title="Nurse")
    sign(letter, "rec@example.org", name="Rita Recipient", tier="recipient")
    sign(letter, "cnt@example.org", tier="counted", department="Cloud")

    html = _member(letter, Role.VIEWER).get(_base(letter)).content.decode()

    assert "<td>Pia Public</td><td>Nurse</td>" in html
    assert "<td>Rita Recipient</td>" in html
    assert "<td>Counted only</td>\n    <td></td><td></td><td></td><td></td>" in html
    for secret in ("pub@example.org", "rec@example.org", "cnt@example.org"):
        assert secret not in html
    for mailbox_hash in Signature.objects.values_list("mailbox_hash", flat=True):
        assert str(mailbox_hash) not in html


def test_viewer_cannot_export_flag_or_invalidate(letter: Letter) -> None:
    sign(letter, "pub@example.org")
    viewer = _member(letter, Role.VIEWER)
    pk = Signature.objects.get().pk

    statuses = [
        viewer.get(f"{_base(letter)}export.csv").status_code,
        viewer.post(f"{_base(letter)}{pk}/flag/", {"flagged": "1"}).status_code,
        viewer.post(f"{_base(letter)}invalidate/", {"flagged_only": "on"}).status_code,
        viewer.post(f"{_base(letter)}invites/", {"size": "2"}).status_code,
    ]

    assert statuses == [404, 404, 404, 404]
    assert (Signature.objects.get().flagged, InviteCode.objects.count()) == (False, 0)


def test_export_csv_public_and_recipient_with_formula_guard(letter: Letter) -> None:
    sign(letter, "a@example.org", name="=cmd|calc", department="-Ops")
    sign(letter, "b@example.org", name="Rita", tier="recipient")
    sign(letter, "c@example.org", tier="counted", department="Cloud")

    response = _member(letter, Role.EDITOR).get(f"{_base(letter)}export.csv")

    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body)))
    signed_on = Signature.objects.first().signed_on.isoformat()  # type: ignore[union-attr]
    assert rows == [
        ["tier", "name", "title", "department", "location", "signed_on"],
        ["public", "'=cmd|calc", "", "'-Ops", "", signed_on],
        ["recipient", "Rita", "", "", "", signed_on],
    ]
    assert (
        response["Content-Disposition"] == f'attachment; filename="{letter.slug}-signatories.csv"'
    )


def test_flag_toggles_silently(letter: Letter) -> None:
    sign(letter, "a@example.org")
    editor = _member(letter, Role.EDITOR)
    pk = Signature.objects.get().pk

    response = editor.post(f"{_base(letter)}{pk}/flag/", {"flagged": "1"})

    assert (response.status_code, Signature.objects.get().flagged) == (302, True)
    editor.post(f"{_base(letter)}{pk}/flag/", {"flagged": "0"})
    assert Signature.objects.get().flagged is False


def test_invalidate_by_rule_records_audit_and_shows_it(letter: Letter) -> None:
    sign(letter, "a@example.org", name="Bot 1")
    sign(letter, "b@example.org", name="bot 2")
    sign(letter, "c@example.org", name="Real")
    editor = _member(letter, Role.OWNER)

    response = editor.post(
        f"{_base(letter)}invalidate/", {"name_contains": "BOT", "reason": "spam wave"}
    )

    assert response.status_code == 302
    assert (Invalidation.objects.get().count, letter_counts(letter_id=letter.pk).total) == (2, 1)
    html = editor.get(_base(letter)).content.decode()
    assert "name_contains: BOT" in html
    assert "<td>2</td><td>spam wave</td>" in html


@pytest.mark.parametrize(
    "form",
    [
        {"reason": "no rule"},
        {"name_contains": "x"},
        {"name_contains": "x\u202e", "reason": "r"},
        {"signed_from": "2030-01-02", "signed_to": "2030-01-01", "reason": "r"},
        {"signed_from": "not a date", "reason": "r"},
    ],
)
def test_invalidate_bad_form_is_400(letter: Letter, form: dict[str, str]) -> None:
    sign(letter, "a@example.org")

    response = _member(letter, Role.EDITOR).post(f"{_base(letter)}invalidate/", form)

    assert (response.status_code, Invalidation.objects.count()) == (400, 0)


def test_invite_sheet_shows_codes_once(letter: Letter) -> None:
    editor = _member(letter, Role.EDITOR)

    response = editor.post(f"{_base(letter)}invites/", {"size": "12", "label": "Floor 3"})

    html = response.content.decode()
    assert html.count('<li class="invite-slip">') == 12
    assert f"http://testserver/l/{letter.slug}/sign/invite/" in html
    assert InviteCode.objects.count() == 12
    listing = editor.get(f"{_base(letter)}invites/").content.decode()
    assert "<td>Floor 3</td>" in listing
    assert 'class="invite-code"' not in listing


@pytest.mark.parametrize("size", ["0", "1001", "many", ""])
def test_invite_bad_size_is_400(letter: Letter, size: str) -> None:
    response = _member(letter, Role.EDITOR).post(f"{_base(letter)}invites/", {"size": size})

    assert (response.status_code, InviteCode.objects.count()) == (400, 0)


@pytest.mark.parametrize("pk", ["99999999999999999999", "0"])
def test_flag_unknown_or_huge_id_is_harmless(letter: Letter, pk: str) -> None:
    editor = _member(letter, Role.EDITOR)

    response = editor.post(f"{_base(letter)}{pk}/flag/", {"flagged": "1"}, follow=True)

    assert response.status_code == 200
    assert "There is no such signature on this letter." in response.content.decode()
