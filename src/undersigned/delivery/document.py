"""What the delivered PDF says, read from the database at one checkpoint of the letter's log.

There are two copies. The public one names whom signing/tiers.py shows the public
(Audience.PUBLIC); the recipient's names whom it shows in the delivered letter
(Audience.DELIVERED), recipient-tier signers included. Nothing else decides who is named.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date

from undersigned.delivery.pdf import (
    AddendumRef,
    DeliveryDocument,
    LetterText,
    Signatory,
    VersionRef,
)
from undersigned.letters.models import Addendum, Demand, Letter, LetterVersion
from undersigned.letters.presentation import default_first, direction, letter_url
from undersigned.publiclog.models import LogState
from undersigned.publiclog.selectors import log_url
from undersigned.signing import tiers
from undersigned.signing.models import Signature, Tier
from undersigned.signing.selectors import ACTIVE, department_breakdown
from undersigned.signing.tiers import Audience


def _texts(letter: Letter) -> list[LetterText]:
    found = {row[0]: row for row in letter.texts.values_list("language", "title", "body")}
    rows = [found[code] for code in default_first(found, letter.default_language)]
    demands = [
        {text.language: text.text for text in demand.texts.all()}
        for demand in Demand.objects.filter(letter=letter).prefetch_related("texts")
    ]
    texts = []
    for language, title, body in rows:
        # An untranslated demand is shown in the letter's own language rather than left out.
        shown = tuple(d.get(language) or d.get(letter.default_language, "") for d in demands)
        texts.append(LetterText(language, direction(language) == "rtl", title, body, shown))
    return texts


def _signatories(letter: Letter, audience: Audience) -> list[Signatory]:
    named = tiers.tiers_showing(audience)
    rows = (
        Signature.objects.filter(ACTIVE, letter=letter, tier__in=named)
        .order_by("id")
        .values("tier", *tiers.FIELDS)
    )
    people = []
    for row in rows.iterator(chunk_size=5000):
        fields = tiers.shown(row["tier"], row, audience)
        people.append(
            Signatory(
                name=fields.get("name", ""),
                title=fields.get("title", ""),
                department=fields.get("department", ""),
                location=fields.get("location", ""),
                public=bool(tiers.rule(row["tier"]).shows[Audience.PUBLIC]),
            )
        )
    return people


def delivery_document(*, letter: Letter, log: LogState, delivered_on: date) -> DeliveryDocument:
    """The public copy's content; counts come from the log's checkpoint, not live counters."""
    counts = {tier.value: int(log.counts.get(tier.value, 0)) for tier in Tier}
    breakdown = department_breakdown(letter_id=letter.pk)
    addenda = Addendum.objects.filter(letter=letter).values_list(
        "title", "language", "sha256", "size"
    )
    return DeliveryDocument(
        slug=letter.slug,
        recipient_name=letter.recipient_name,
        delivered_on=delivered_on,
        letter_url=letter_url(slug=letter.slug),
        texts=_texts(letter),
        addenda=[AddendumRef(*row) for row in addenda],
        tier_counts=[(tiers.rule(tier).label, count) for tier, count in counts.items()],
        total=sum(counts.values()),
        threshold=breakdown.threshold,
        departments=[(group.label, group.count or 0) for group in breakdown.groups],
        small_groups=breakdown.small_groups,
        checkpoint=log.checkpoint,
        log_url=log_url(slug=letter.slug),
        vkey=log.vkey,
        signatories=_signatories(letter, Audience.PUBLIC),
        versions=_versions(letter, log),
    )


def recipient_document(
    *, letter: Letter, public: DeliveryDocument, public_sha256: str
) -> DeliveryDocument:
    """The recipient's copy: the public one, naming recipient-tier signers too, with a serial."""
    return replace(
        public,
        signatories=_signatories(letter, Audience.DELIVERED),
        recipient_copy=True,
        serial=secrets.token_hex(32),
        public_sha256=public_sha256,
    )


def _versions(letter: Letter, log: LogState) -> list[VersionRef]:
    """The versions with the counts of the same checkpoint as the rest of the document."""
    if letter.version < 2:
        return []
    counts = log.version_counts
    rows = LetterVersion.objects.filter(letter=letter).order_by("-number")
    return [
        VersionRef(
            row.number, row.created_on, row.note, row.text_hash, int(counts.get(str(row.number), 0))
        )
        for row in rows.only("number", "created_on", "note", "text_hash")
    ]
