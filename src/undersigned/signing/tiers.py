"""What each signature tier stores and who sees what: the one place this is decided.

Services store only `stores`; the public list, the organizer table, the export and both copies of
the delivered letter ask `shown()` for their audience. A field that is not listed for an audience is
never handed to it, whatever the database holds.

A department kept but shown to no audience (the `counted` and `anonymous` tiers) reaches people
only as a count per department under the letter's k rule (`BREAKDOWN_TIERS`,
`signing.selectors.department_breakdown`): never in a row of its own, not even to organizers,
since a department one or two people typed could point at them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from undersigned.signing.models import Tier

FIELDS = ("name", "title", "department", "location")


class Audience(enum.Enum):
    PUBLIC = "public"  # letter page, signatories page, API, the public copy of the delivered PDF
    DELIVERED = "delivered"  # the recipient's copy of the delivered PDF, the organizers' CSV export
    ORGANIZER = "organizer"  # the organizer dashboard table


@dataclass(frozen=True)
class TierRule:
    tier: Tier
    label: str
    explanation: str
    stores: tuple[str, ...]
    requires_name: bool
    shows: Mapping[Audience, tuple[str, ...]]
    # Offered on the named signing forms; anonymous signing has pages of its own, since the
    # browser must make the token (views/anonymous.py).
    selectable: bool = True


_ALL = FIELDS
RULES: dict[str, TierRule] = {
    Tier.PUBLIC: TierRule(
        tier=Tier.PUBLIC,
        label="Public",
        explanation=(
            "Your name (and title, department, location if you give them) is shown on the "
            "public page and in the delivered letter."
        ),
        stores=_ALL,
        requires_name=True,
        shows={Audience.PUBLIC: _ALL, Audience.DELIVERED: _ALL, Audience.ORGANIZER: _ALL},
    ),
    Tier.RECIPIENT: TierRule(
        tier=Tier.RECIPIENT,
        label="Recipient only",
        explanation=(
            "Your name and details appear only in the recipient's copy of the delivered letter "
            "and to the organizers. The public sees you only in the counts; a department you "
            "give counts in breakdowns, which never show groups smaller than a few people."
        ),
        stores=_ALL,
        requires_name=True,
        shows={Audience.PUBLIC: (), Audience.DELIVERED: _ALL, Audience.ORGANIZER: _ALL},
    ),
    Tier.COUNTED: TierRule(
        tier=Tier.COUNTED,
        label="Counted only",
        explanation=(
            "No name is kept. You are counted; an optional department is kept only for "
            "breakdowns, which never show groups smaller than a few people."
        ),
        stores=("department",),
        requires_name=False,
        # The department counts only in breakdowns (k rule), organizers' included.
        shows={Audience.PUBLIC: (), Audience.DELIVERED: (), Audience.ORGANIZER: ()},
    ),
    Tier.ANONYMOUS: TierRule(
        tier=Tier.ANONYMOUS,
        label="Anonymous",
        explanation=(
            "Your browser makes a token that we sign without seeing it; the token then signs. "
            "Nothing we keep links the signature to your mailbox or invite code. An optional "
            "department, given only when the token signs, counts in breakdowns."
        ),
        # Only the department given at redemption; nothing at all is kept with the mailbox.
        stores=("department",),
        requires_name=False,
        shows={Audience.PUBLIC: (), Audience.DELIVERED: (), Audience.ORGANIZER: ()},
        selectable=False,
    ),
}

SELECTABLE_TIERS: tuple[TierRule, ...] = tuple(r for r in RULES.values() if r.selectable)
# Departments of these tiers feed the breakdowns (under the k rule), the only place the
# departments of tiers that show none are counted.
BREAKDOWN_TIERS: tuple[str, ...] = tuple(
    r.tier.value for r in RULES.values() if "department" in r.stores
)


def rule(tier: str) -> TierRule:
    return RULES[tier]


def tiers_showing(audience: Audience) -> tuple[str, ...]:
    """Tiers with anything to show this audience: the public list, the export."""
    return tuple(r.tier.value for r in RULES.values() if r.shows[audience])


def tiers_showing_field(field: str, audience: Audience) -> tuple[str, ...]:
    """Tiers whose `field` this audience sees: the only ones a rule on that field may select,
    or selecting them would reveal the field through the result (organizers' invalidations)."""
    return tuple(r.tier.value for r in RULES.values() if field in r.shows[audience])


def stored_fields(tier: str, values: Mapping[str, str]) -> dict[str, str]:
    """The fields this tier keeps; everything else becomes empty before it is stored."""
    kept = RULES[tier].stores
    return {name: (values.get(name, "") if name in kept else "") for name in FIELDS}


def shown(tier: str, row: Mapping[str, Any] | Any, audience: Audience) -> dict[str, str]:
    """The fields of a signature (model or mapping) that `audience` may see."""
    fields = RULES[tier].shows[audience]
    if isinstance(row, Mapping):
        return {name: str(row.get(name) or "") for name in fields}
    return {name: str(getattr(row, name) or "") for name in fields}
