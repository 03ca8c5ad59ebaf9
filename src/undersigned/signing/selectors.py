"""Reads about signatures. Counts come from counters, never COUNT(*) per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Sum

from undersigned.signing.models import Counter, Tier


@dataclass(frozen=True)
class Counts:
    per_tier: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.per_tier.values())


def letter_counts(*, letter_id: int) -> Counts:
    rows = (
        Counter.objects.filter(letter_id=letter_id)
        .values_list("tier")
        .annotate(total=Sum("value"))
        .order_by()
    )
    found = {tier: int(total or 0) for tier, total in rows}
    return Counts(per_tier={tier.value: found.get(tier.value, 0) for tier in Tier})
