from __future__ import annotations

from undersigned.signing import tiers
from undersigned.signing.tiers import Audience

ALL = {"name": "Ana", "title": "Engineer", "department": "Cloud", "location": "Dublin"}


def test_stored_fields_counted_keeps_only_department() -> None:
    assert tiers.stored_fields("counted", ALL) == {
        "name": "",
        "title": "",
        "department": "Cloud",
        "location": "",
    }


def test_stored_fields_public_and_recipient_keep_everything() -> None:
    assert tiers.stored_fields("public", ALL) == ALL
    assert tiers.stored_fields("recipient", ALL) == ALL


def test_shown_per_audience() -> None:
    assert tiers.shown("public", ALL, Audience.PUBLIC) == ALL
    assert tiers.shown("recipient", ALL, Audience.PUBLIC) == {}
    assert tiers.shown("recipient", ALL, Audience.DELIVERED) == ALL
    assert tiers.shown("counted", ALL, Audience.DELIVERED) == {}
    assert tiers.shown("counted", ALL, Audience.ORGANIZER) == {}


def test_tiers_showing_public_is_only_public_tier() -> None:
    assert tiers.tiers_showing(Audience.PUBLIC) == ("public",)
    assert tiers.tiers_showing(Audience.DELIVERED) == ("public", "recipient")


def test_selectable_tiers_exclude_anonymous_which_has_its_own_pages() -> None:
    assert [r.tier.value for r in tiers.SELECTABLE_TIERS] == ["public", "recipient", "counted"]
