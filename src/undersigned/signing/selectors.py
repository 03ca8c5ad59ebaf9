"""Reads about signatures. Counts come from counters, never COUNT(*) per request.

Every read that hands out personal fields goes through tiers.shown() for its audience.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from undersigned.letters.models import Letter
from undersigned.publiclog.selectors import log_entry_of, log_tier_counts
from undersigned.signing import codes, tiers
from undersigned.signing.models import (
    ISSUED_COUNTER,
    REDEEMED_COUNTER,
    Counter,
    Invalidation,
    InviteBatch,
    Issuance,
    IssuanceKey,
    Purpose,
    Signature,
    Tier,
    Verification,
)
from undersigned.signing.tiers import Audience

PAGE_SIZE = 50
MAX_PAGE = 100_000
ACTIVE = Q(withdrawn_on__isnull=True, invalidated_on__isnull=True)
_BREAKDOWN_CACHE_SECONDS = 300


@dataclass(frozen=True)
class TokenCounts:
    """Anonymous tokens issued (to verified mailboxes and invite codes) and redeemed.

    Published side by side: redeemed can only trail issued, and issued can be compared with the
    verifications a campaign expects, which is how minted tokens would show. Redeemed counts
    every redemption; the anonymous tier count drops with withdrawals and invalidations.
    """

    issued: int = 0
    redeemed: int = 0


@dataclass(frozen=True)
class Counts:
    per_tier: dict[str, int] = field(default_factory=dict)
    tokens: TokenCounts = field(default_factory=TokenCounts)

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
    return Counts(
        per_tier={tier.value: found.get(tier.value, 0) for tier in Tier},
        tokens=TokenCounts(
            issued=found.get(ISSUED_COUNTER, 0), redeemed=found.get(REDEEMED_COUNTER, 0)
        ),
    )


@dataclass(frozen=True)
class Group:
    """One breakdown row; `count` is None for "fewer than k"."""

    label: str
    count: int | None


@dataclass(frozen=True)
class Breakdown:
    threshold: int
    groups: list[Group]
    # Departments each named by fewer than k signers are not named at all: a department that
    # one or two people typed could itself point at them.
    small_groups: int


def department_breakdown(*, letter_id: int) -> Breakdown:
    """Active signatures per department (case-insensitive), under the letter's k rule.

    Cached under the current total, so any signature, withdrawal or invalidation (each changes
    the counters) makes a fresh one, and a reload storm costs one GROUP BY per change.
    """
    total = letter_counts(letter_id=letter_id).total
    key = f"signing:breakdown:{letter_id}:{total}"
    cached: Breakdown | None = cache.get(key)
    if cached is not None:
        return cached
    threshold = (
        Letter.objects.filter(pk=letter_id).values_list("breakdown_threshold", flat=True).first()
    ) or 5
    rows = (
        Signature.objects.filter(ACTIVE, letter_id=letter_id, tier__in=tiers.BREAKDOWN_TIERS)
        .exclude(department="")
        .values_list("department")
        .annotate(n=Count("id"))
        .order_by()
    )
    merged: dict[str, list[Any]] = {}
    for department, n in rows:
        entry = merged.setdefault(department.casefold(), [department, 0, 0])
        if n > entry[2]:  # show the spelling most people used
            entry[0], entry[2] = department, n
        entry[1] += n
    big = sorted((g for g in merged.values() if g[1] >= threshold), key=lambda g: (-g[1], g[0]))
    result = Breakdown(
        threshold=threshold,
        groups=[Group(label=g[0], count=g[1]) for g in big],
        small_groups=len(merged) - len(big),
    )
    cache.set(key, result, _BREAKDOWN_CACHE_SECONDS)
    return result


@dataclass(frozen=True)
class Page:
    number: int
    rows: list[dict[str, Any]]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _page(queryset: Any, number: int, build: Any) -> Page:
    number = min(max(number, 1), MAX_PAGE)
    start = (number - 1) * PAGE_SIZE
    items = list(queryset[start : start + PAGE_SIZE + 1])
    return Page(
        number=number, rows=[build(i) for i in items[:PAGE_SIZE]], has_next=len(items) > PAGE_SIZE
    )


def public_signatories(*, letter_id: int, page: int = 1) -> Page:
    """Active signatures whose tier shows anything publicly, newest first."""
    shown_tiers = tiers.tiers_showing(Audience.PUBLIC)
    queryset = Signature.objects.filter(ACTIVE, letter_id=letter_id, tier__in=shown_tiers).order_by(
        "-id"
    )

    def build(signature: Signature) -> dict[str, Any]:
        return {
            **tiers.shown(signature.tier, signature, Audience.PUBLIC),
            "signed_on": signature.signed_on,
        }

    return _page(queryset.only("tier", *tiers.FIELDS, "signed_on"), page, build)


def _status(signature: Signature) -> str:
    if signature.invalidated_on:
        return "invalidated"
    if signature.withdrawn_on:
        return "withdrawn"
    return "active"


def organizer_signatures(*, letter_id: int, page: int = 1, tier: str = "") -> Page:
    """The organizer table: tier, date, status, flag and only the fields the tier allows."""
    queryset = Signature.objects.filter(letter_id=letter_id).order_by("-id")
    if tier in tiers.RULES:
        queryset = queryset.filter(tier=tier)

    def build(signature: Signature) -> dict[str, Any]:
        return {
            "id": signature.pk,
            "tier": signature.tier,
            "tier_label": tiers.rule(signature.tier).label,
            "signed_on": signature.signed_on,
            "status": _status(signature),
            "flagged": signature.flagged,
            "fields": tiers.shown(signature.tier, signature, Audience.ORGANIZER),
        }

    columns = ("tier", *tiers.FIELDS, "signed_on", "withdrawn_on", "invalidated_on", "flagged")
    return _page(queryset.only(*columns), page, build)


EXPORT_COLUMNS = ("tier", *tiers.FIELDS, "signed_on")


def export_rows(*, letter_id: int) -> Iterator[dict[str, str]]:
    """Active signatures of tiers shown in the delivered letter, oldest first."""
    queryset = (
        Signature.objects.filter(
            ACTIVE, letter_id=letter_id, tier__in=tiers.tiers_showing(Audience.DELIVERED)
        )
        .order_by("id")
        .only("tier", *tiers.FIELDS, "signed_on")
    )
    for signature in queryset.iterator(chunk_size=2000):
        shown = tiers.shown(signature.tier, signature, Audience.DELIVERED)
        yield {
            "tier": signature.tier,
            **{name: shown.get(name, "") for name in tiers.FIELDS},
            "signed_on": signature.signed_on.isoformat(),
        }


def letter_invalidations(*, letter_id: int) -> list[Invalidation]:
    return list(
        Invalidation.objects.filter(letter_id=letter_id)
        .select_related("created_by")
        .order_by("-id")
    )


@dataclass(frozen=True)
class BatchSummary:
    label: str
    size: int
    used: int
    created_on: date


def invite_batches(*, letter_id: int) -> list[BatchSummary]:
    batches = (
        InviteBatch.objects.filter(letter_id=letter_id)
        .annotate(used=Count("codes", filter=Q(codes__used_on__isnull=False)))
        .order_by("-id")
    )
    return [
        BatchSummary(label=str(b), size=b.size, used=b.used, created_on=b.created_on)
        for b in batches
    ]


@dataclass(frozen=True)
class LinkRequest:
    """What the link in a code message will do, shown before its button is pressed."""

    letter: Letter
    purpose: str
    tier_label: str
    fields: dict[str, str]
    # Already used: pressing again shows the same receipt (or withdrawal date) again.
    confirmed: bool
    # An anonymous code makes a token on the anonymous page instead (views/anonymous.py).
    anonymous: bool = False


def link_request(*, token: str) -> LinkRequest | None:
    """The request a message's link confirms; links name no letter, the token finds it."""
    row = (
        Verification.objects.select_related("letter")
        .filter(link_hash=codes.token_hash(token), expires_at__gt=timezone.now())
        .first()
    )
    if row is None:
        return None
    return LinkRequest(
        letter=row.letter,
        purpose=row.purpose,
        tier_label=tiers.rule(row.tier).label,
        fields={name: getattr(row, name) for name in tiers.rule(row.tier).stores},
        confirmed=row.confirmed,
        anonymous=row.purpose == Purpose.SIGN and row.tier == Tier.ANONYMOUS,
    )


def token_counts(*, letter_id: int) -> TokenCounts:
    return letter_counts(letter_id=letter_id).tokens


@dataclass(frozen=True)
class IssuerInfo:
    """What the API publishes about a letter's issuance key (docs/anonymous.md)."""

    issuance_key: bytes
    token_challenge: bytes


def letter_issuer(*, letter_id: int) -> IssuerInfo | None:
    row = (
        IssuanceKey.objects.filter(letter_id=letter_id)
        .values_list("spki", "token_challenge")
        .first()
    )
    return None if row is None else IssuerInfo(bytes(row[0]), bytes(row[1]))


def letter_signed(*, letter: Letter) -> bool:
    """Whether anyone has signed, withdrawn since included, or taken an anonymous token."""
    return (
        Signature.objects.filter(letter=letter).exists()
        or Issuance.objects.filter(letter=letter).exists()
    )


# The published count is the log's; the signing counters say how many more wait for the next
# checkpoint. Both are known here, so the count readers see is computed here and nowhere else.
def published_counts(*, live: Counts, letter_id: int) -> tuple[Counts, int]:
    """The published count (the log's, per tier) and how many confirmed signatures still wait.

    `live` are the signing counters; the difference is what the next checkpoint will add, so
    neither number needs a COUNT(*) (docs/design.md section 10a).
    """
    stored = log_tier_counts(letter_id=letter_id)
    per_tier = {tier: stored.get(tier, 0) for tier in live.per_tier}
    published = Counts(per_tier=per_tier, tokens=live.tokens)
    return published, max(0, live.total - published.total)


def published_total(*, letter_id: int) -> int:
    """The published count the letter page shows (all tiers), from the log's state."""
    published, _ = published_counts(live=letter_counts(letter_id=letter_id), letter_id=letter_id)
    return published.total


def receipt_entry_for_secret(*, letter: Letter, secret: str) -> str | None:
    """The log entry of the signature a receipt secret belongs to, found as withdrawals find it."""
    signature = Signature.objects.filter(
        letter=letter, receipt_commitment=codes.receipt_lookup_hash(secret)
    ).values_list("pk", flat=True)
    if not signature:
        return None
    return log_entry_of(letter_id=letter.pk, signature_id=signature[0])
