"""The letters part of the public API (docs/design.md section 8b): a letter and its count."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date as date_type
from datetime import datetime
from typing import Any, Literal, cast

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseBase
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from undersigned.accounts.permissions import access_public_letter
from undersigned.common.errors import ApiError
from undersigned.common.pagecache import public_answer, public_cache_control
from undersigned.delivery.selectors import (
    DemandTimeline,
    PublicDelivery,
    public_delivery,
    public_timelines,
)
from undersigned.letters.markdown import render_markdown
from undersigned.letters.models import Letter
from undersigned.publiclog.selectors import log_state, log_url
from undersigned.signing.selectors import Counts, letter_counts, letter_issuer, published_counts
from undersigned.web.public.pages import letter_document
from undersigned.web.public.versions import letter_versions, public_version

router = Router(tags=["letters"])

PublicState = Literal["open", "closed", "delivered"]
KindValue = Literal["markdown", "pdf"]


class ErrorDetail(Schema):
    code: str = Field(description="Stable, machine-readable reason, e.g. `not_found`.")
    message: str = Field(description="What went wrong, for a person to read.")


class ErrorOut(Schema):
    error: ErrorDetail


class TierCounts(Schema):
    public: int = Field(description="Signatures shown publicly with a name.")
    recipient: int = Field(description="Signatures named only to the recipient.")
    counted: int = Field(description="Signatures that are counted, never named.")
    anonymous: int = Field(description="Anonymous (blind-token) signatures.")


class TokenCountsOut(Schema):
    issued: int = Field(
        description="Anonymous tokens issued, to verified mailboxes and invite codes."
    )
    redeemed: int = Field(
        description="Tokens redeemed as anonymous signatures (withdrawals do not lower it)."
    )


class CountOut(Schema):
    total: int = Field(
        description="The published count: signatures in the public log as of its latest "
        "checkpoint, minus withdrawals and invalidations."
    )
    per_tier: TierCounts
    pending: int = Field(
        description="Confirmed signatures not yet in the log; the next checkpoint adds them."
    )
    tokens: TokenCountsOut = Field(
        description="Published beside the counts, so that tokens minted without a verified "
        "member would show as more issued than the organizers can account for."
    )


class TextOut(Schema):
    language: str
    title: str
    body_markdown: str = Field(description="The body as written (CommonMark, no raw HTML).")
    body_html: str = Field(description="The body rendered and sanitized, safe to embed.")


StatusValue = Literal["pending", "met", "partly_met", "refused", "no_answer"]


class ResponseOut(Schema):
    status: StatusValue
    date: date_type = Field(description="The day of this step of the answer.")
    note: str
    link: str = Field(description="A public source for this step, or empty.")


class DemandOut(Schema):
    position: int
    texts: dict[str, str] = Field(description="The demand's text by language code.")
    status: StatusValue = Field(
        description="The recipient's answer (the latest step of `timeline`); `pending` until "
        "organizers record one after delivery."
    )
    timeline: list[ResponseOut] = Field(description="The answer's dated steps, oldest first.")


class DeliveryOut(Schema):
    delivered_on: date_type
    pdf_url: str = Field(
        description="The public copy of the delivered PDF: the recipient's, without the names "
        "of signers who chose to be named to the recipient only."
    )
    pdf_sha256: str = Field(
        description="Hex SHA-256 of the public copy; the log's delivery entry has it as pdf_hash."
    )


class AddendumOut(Schema):
    id: int
    title: str
    language: str
    kind: KindValue
    sha256: str = Field(description="Hex SHA-256 of the exact bytes served at `url`.")
    size: int = Field(description="Size in bytes.")
    translation_of: int | None = Field(description="Id of the original, for a translation.")
    url: str


class VersionOut(Schema):
    number: int
    date: date_type = Field(description="The day this version's text took effect.")
    note: str = Field(description="What the organizers said the amendment changes.")
    text_hash: str = Field(
        description="Hex SHA-256 of the version's texts and demands (docs/log.md), as in the "
        "log's letter or amendment entry."
    )
    count: int = Field(description="Live signatures for this version, as the log says.")


class VersionDocumentOut(VersionOut):
    document: dict[str, Any] = Field(
        description="The version's texts and demands; SHA-256 of its canonical JSON (sorted "
        "keys, no whitespace, UTF-8) is `text_hash` (docs/log.md)."
    )


class LetterOut(Schema):
    slug: str
    state: PublicState
    default_language: str
    languages: list[str] = Field(description="Language codes, the default language first.")
    texts: list[TextOut]
    goal: int
    opens_at: datetime | None
    deadline: datetime | None
    deliver_at: datetime | None
    demands: list[DemandOut]
    addenda: list[AddendumOut]
    version: int = Field(
        description="The text's current version; send it as `version` when signing, so a "
        "signature is refused (409 letter_amended) if the text changed since it was read."
    )
    versions: list[VersionOut] = Field(description="Every version since opening, newest first.")
    counts: CountOut
    delivery: DeliveryOut | None = Field(description="The delivered letter; null before delivery.")
    log_url: str | None = Field(
        description="URL of the letter's C2SP tlog-tiles log; null before the letter opens."
    )
    verifier_key: str | None = Field(
        description="The log's Ed25519 verifier key in signed-note vkey form; null before the "
        "letter opens."
    )
    issuance_key: str | None = Field(
        description="Base64 SPKI (RSASSA-PSS, SHA-384) of the letter's blind-signature issuance "
        "key, as published in the log's genesis entry; null until the letter first opens."
    )
    token_challenge: str | None = Field(
        description="Base64 RFC 9577 TokenChallenge that the letter's anonymous tokens answer "
        "(docs/anonymous.md)."
    )


_NOT_FOUND = {404: ErrorOut}

_Run = Callable[..., HttpResponseBase]


def _served_from_cache(part: str, cache_control: str) -> Callable[[_Run], _Run]:
    """The operation's whole answer (body and headers as rendered) from common/pagecache.py,
    kept until the letter changes; only 200 answers are kept."""

    def decorator(run: _Run) -> _Run:
        def cached_run(request: HttpRequest, **kw: Any) -> HttpResponseBase:
            return public_answer(
                request,
                slug=str(kw["slug"]),
                part=part,
                render=lambda: run(request, **kw),
                cache_control=cache_control,
            )

        return cached_run

    return decorator


def _public_letter(slug: str) -> Letter:
    try:
        return access_public_letter(slug=slug)
    except Http404 as exc:
        raise ApiError(404, "not_found", "There is no public letter at this address.") from exc


def _counts(live: Counts, *, letter_id: int) -> CountOut:
    published, pending = published_counts(live=live, letter_id=letter_id)
    return CountOut(
        total=published.total,
        per_tier=TierCounts(**published.per_tier),
        pending=pending,
        tokens=TokenCountsOut(issued=live.tokens.issued, redeemed=live.tokens.redeemed),
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@router.get("/{slug:slug}", response={200: LetterOut, **_NOT_FOUND}, summary="A public letter")
@decorate_view(_served_from_cache("api:letter", public_cache_control(max_age=10, stale=30)))
def letter_detail(request: HttpRequest, slug: str) -> LetterOut:
    document = letter_document(letter=_public_letter(slug))
    letter = document.letter
    timelines = public_timelines(letter=letter)
    delivered = public_delivery(letter=letter)
    issuer = letter_issuer(letter_id=letter.pk)
    log = log_state(letter_id=letter.pk)
    return LetterOut(
        slug=letter.slug,
        # access_public_letter only returns letters in a public state.
        state=cast(PublicState, letter.state),
        default_language=letter.default_language,
        languages=document.languages,
        texts=[
            TextOut(
                language=text.language,
                title=text.title,
                body_markdown=text.body,
                body_html=render_markdown(text.body),
            )
            for text in document.texts
        ],
        goal=letter.goal,
        opens_at=letter.opens_at,
        deadline=letter.deadline,
        deliver_at=letter.deliver_at,
        demands=[
            _demand(position, texts, timelines.get(position))
            for position, texts in document.demands
        ],
        addenda=[
            AddendumOut(
                id=item.id,
                title=item.title,
                language=item.language,
                kind=cast(KindValue, item.kind),
                sha256=item.sha256,
                size=item.size,
                translation_of=item.translation_of,
                url=item.url,
            )
            for item in document.addenda
        ],
        version=letter.version,
        versions=[
            VersionOut(
                number=row.number,
                date=row.created_on,
                note=row.note,
                text_hash=row.text_hash,
                count=row.count,
            )
            for row in letter_versions(letter=letter)
        ],
        counts=_counts(document.counts, letter_id=letter.pk),
        delivery=_delivery(delivered),
        log_url=None if log is None else log_url(slug=letter.slug),
        verifier_key=None if log is None else log.vkey,
        issuance_key=None if issuer is None else _b64(issuer.issuance_key),
        token_challenge=None if issuer is None else _b64(issuer.token_challenge),
    )


@router.get(
    "/{slug:slug}/count", response={200: CountOut, **_NOT_FOUND}, summary="A letter's counts"
)
# Widgets poll this; a few seconds of staleness lets a cache in front absorb a crowd.
@decorate_view(_served_from_cache("api:count", public_cache_control(max_age=5, stale=25)))
def letter_count(request: HttpRequest, slug: str) -> CountOut:
    letter_id = _public_letter(slug).pk
    return _counts(letter_counts(letter_id=letter_id), letter_id=letter_id)


def _demand(position: int, texts: dict[str, str], timeline: DemandTimeline | None) -> DemandOut:
    steps = timeline.entries if timeline is not None else []
    return DemandOut(
        position=position,
        texts=texts,
        status=cast(StatusValue, timeline.status if timeline is not None else "pending"),
        timeline=[
            ResponseOut(
                status=cast(StatusValue, step.status),
                date=step.happened_on,
                note=step.note,
                link=step.link,
            )
            for step in steps
        ],
    )


def _delivery(delivered: PublicDelivery | None) -> DeliveryOut | None:
    if delivered is None:
        return None
    return DeliveryOut(
        delivered_on=delivered.delivered_on,
        pdf_url=settings.SITE_URL + delivered.path,
        pdf_sha256=delivered.sha256,
    )


@router.get(
    "/{slug:slug}/versions/{number}",
    response={200: VersionDocumentOut, **_NOT_FOUND},
    summary="One version of a letter's text",
)
def letter_version(request: HttpRequest, slug: str, number: int) -> VersionDocumentOut:
    letter = _public_letter(slug)
    shown = public_version(letter=letter, number=number, language=None)
    if shown is None:
        raise ApiError(404, "not_found", "This letter has no version with that number.")
    return VersionDocumentOut(
        number=shown.row.number,
        date=shown.row.created_on,
        note=shown.row.note,
        text_hash=shown.row.text_hash,
        count=shown.count,
        document=shown.row.snapshot,
    )
