"""Organizer actions: invite batches, flags, auditable invalidation by rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.signing.helpers import sign
from tests.support.factories import make_letter, make_organizer
from undersigned.letters.models import Letter, mailbox_key_of
from undersigned.signing import codes, services
from undersigned.signing.errors import SigningError
from undersigned.signing.models import Invalidation, InviteBatch, InviteCode, Signature
from undersigned.signing.selectors import letter_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


def test_invite_batch_stores_only_keyed_hashes(letter: Letter) -> None:
    plain = services.invite_batch_create(letter=letter, size=25, label="Floor 3")

    hashes = set(InviteCode.objects.values_list("code_hash", flat=True))
    key = mailbox_key_of(letter) or b""
    assert len(set(plain)) == 25
    assert hashes == {codes.invite_code_hash(key=key, code=c.replace("-", "")) for c in plain}
    assert (InviteBatch.objects.get().size, InviteBatch.objects.get().label) == (25, "Floor 3")


@pytest.mark.parametrize("size", [0, 1001, -5])
def test_invite_batch_size_out_of_bounds_is_refused(letter: Letter, size: int) -> None:
    with pytest.raises(SigningError) as caught:
        services.invite_batch_create(letter=letter, size=size)

    assert (caught.value.status, InviteCode.objects.count()) == (422, 0)


def test_invite_batch_of_1000(letter: Letter) -> None:
    assert len(services.invite_batch_create(letter=letter, size=1000)) == 1000


def test_flag_is_silent(letter: Letter) -> None:
    sign(letter, "ana@example.org")
    signature = Signature.objects.get()

    services.signature_flag(letter=letter, signature_id=signature.pk, flagged=True)

    assert (Signature.objects.get().flagged, letter_counts(letter_id=letter.pk).total) == (True, 1)


def test_flag_signature_of_other_letter_is_404(letter: Letter) -> None:
    other = make_letter()
    sign(other, "ana@example.org")

    with pytest.raises(SigningError) as caught:
        services.signature_flag(
            letter=letter, signature_id=Signature.objects.get().pk, flagged=True
        )

    assert caught.value.status == 404


def _three(letter: Letter) -> None:
    sign(letter, "a@example.org", name="Mickey Mouse", department="Cloud")
    sign(letter, "b@example.org", name="Real Person", department="cloud ops", tier="recipient")
    sign(letter, "c@example.org", tier="counted", department="Sales")


def test_invalidate_by_name_pattern_is_case_insensitive_and_audited(letter: Letter) -> None:
    _three(letter)
    user = make_organizer()

    done = services.signatures_invalidate(
        letter=letter,
        rule=services.InvalidationRule(name_contains="MOUSE"),
        reason="fake names",
        user=user,
    )

    assert (done.count, done.reason, done.created_by) == (1, "fake names", user)
    assert done.rule == {
        "signed_from": None,
        "signed_to": None,
        "department_contains": "",
        "name_contains": "MOUSE",
        "flagged_only": False,
    }
    assert letter_counts(letter_id=letter.pk).per_tier["public"] == 0
    assert Signature.objects.get(invalidation=done).name == "Mickey Mouse"


def test_invalidate_by_department_drops_counts_per_tier(letter: Letter) -> None:
    _three(letter)

    services.signatures_invalidate(
        letter=letter,
        rule=services.InvalidationRule(department_contains="cloud"),
        reason="r",
        user=make_organizer(),
    )

    assert letter_counts(letter_id=letter.pk).per_tier == {
        "public": 0,
        "recipient": 0,
        "counted": 1,
        "anonymous": 0,
    }


def test_invalidate_by_department_never_selects_a_department_organizers_cannot_see(
    letter: Letter,
) -> None:
    _three(letter)
    sign(letter, "d@example.org", tier="counted", department="Cloud canary")

    done = services.signatures_invalidate(
        letter=letter,
        rule=services.InvalidationRule(department_contains="cloud"),
        reason="r",
        user=make_organizer(),
    )

    # The counted signer in "Cloud canary" matched the text, but a rule selecting it would show
    # organizers its department through the "invalidated" mark in the table.
    invalidated = Signature.objects.filter(invalidation=done).values_list("tier", flat=True)
    assert sorted(invalidated) == ["public", "recipient"]


def test_invalidate_by_date_and_flag(letter: Letter) -> None:
    _three(letter)
    today = timezone.localdate()
    Signature.objects.filter(department="Sales").update(signed_on=today - timedelta(days=3))
    Signature.objects.filter(department="Cloud").update(flagged=True)

    by_date = services.signatures_invalidate(
        letter=letter,
        rule=services.InvalidationRule(signed_to=today - timedelta(days=1)),
        reason="r",
        user=make_organizer(),
    )
    flagged = services.signatures_invalidate(
        letter=letter,
        rule=services.InvalidationRule(flagged_only=True, signed_from=today),
        reason="r",
        user=make_organizer(),
    )

    assert (by_date.count, flagged.count, letter_counts(letter_id=letter.pk).total) == (1, 1, 1)


def test_invalidate_empty_rule_is_refused(letter: Letter) -> None:
    _three(letter)

    with pytest.raises(SigningError) as caught:
        services.signatures_invalidate(
            letter=letter, rule=services.InvalidationRule(), reason="r", user=make_organizer()
        )

    assert (caught.value.code, Invalidation.objects.count()) == ("empty_rule", 0)


def test_invalidate_nothing_matched_records_nothing(letter: Letter) -> None:
    _three(letter)

    with pytest.raises(SigningError) as caught:
        services.signatures_invalidate(
            letter=letter,
            rule=services.InvalidationRule(name_contains="nobody"),
            reason="r",
            user=make_organizer(),
        )

    assert (caught.value.code, Invalidation.objects.count()) == ("nothing_matched", 0)


def test_invalidate_does_not_touch_other_letters(letter: Letter) -> None:
    other = make_letter()
    sign(other, "a@example.org", name="Mickey Mouse")
    sign(letter, "a@example.org", name="Mickey Mouse")

    services.signatures_invalidate(
        letter=letter,
        rule=services.InvalidationRule(name_contains="mouse"),
        reason="r",
        user=make_organizer(),
    )

    assert letter_counts(letter_id=other.pk).total == 1
