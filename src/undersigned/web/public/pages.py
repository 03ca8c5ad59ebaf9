"""Reads for the public side of letters: the start page, the letter page and the letters API.

Every function here runs a fixed number of queries whatever the size of the letter, because the
letter page and the API are what a crowd of readers reloads (docs/design.md section 10a).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils.text import slugify

from undersigned.letters.markdown import markdown_summary, render_markdown
from undersigned.letters.models import (
    LANGUAGES,
    Addendum,
    AddendumKind,
    Demand,
    Letter,
    LetterText,
)
from undersigned.letters.presentation import choose_language, default_first, direction
from undersigned.letters.states import PUBLIC_STATES, SIGNABLE_STATES, State
from undersigned.signing.models import Tier
from undersigned.signing.selectors import Counts, letter_counts, published_counts, published_total

_HOME_LIMIT = 100
# Ids are 64-bit; a larger number in a URL would overflow the database driver instead of missing.
_MAX_ID = 2**63


@dataclass(frozen=True)
class LetterListing:
    slug: str
    state: str
    state_label: str
    title: str
    language: str
    direction: str
    total: int
    goal: int
    deadline: datetime | None

    @property
    def progress(self) -> int:
        return min(self.total, self.goal)


def public_letter_list() -> list[LetterListing]:
    """Letters the public may read, open ones first, newest first within a state."""
    title = LetterText.objects.filter(
        letter=OuterRef("pk"), language=OuterRef("default_language")
    ).values("title")[:1]
    letters = (
        Letter.objects.filter(state__in=PUBLIC_STATES)
        .annotate(title=Subquery(title))
        .only("slug", "state", "default_language", "goal", "deadline")
        .order_by("-id")[:_HOME_LIMIT]
    )
    order: dict[str, int] = {State.OPEN: 0, State.CLOSED: 1, State.DELIVERED: 2}
    listings = [
        LetterListing(
            slug=letter.slug,
            state=letter.state,
            state_label=State(letter.state).label,
            title=letter.title or letter.slug,
            language=letter.default_language,
            direction=direction(letter.default_language),
            # Two small indexed reads per letter; the start page lists at most _HOME_LIMIT.
            total=published_total(letter_id=letter.pk),
            goal=letter.goal,
            deadline=letter.deadline,
        )
        for letter in letters
    ]
    return sorted(listings, key=lambda listing: order.get(listing.state, 3))


@dataclass(frozen=True)
class AddendumFile:
    id: int
    title: str
    language: str
    kind: str
    sha256: str
    size: int
    translation_of: int | None
    path: str

    @property
    def kind_label(self) -> str:
        return "PDF" if self.kind == AddendumKind.PDF else "Text"

    @property
    def url(self) -> str:
        return f"{settings.SITE_URL}{self.path}"


def addendum_filename(*, addendum_id: int, title: str, kind: str) -> str:
    stem = slugify(title)[:60].strip("-") or f"addendum-{addendum_id}"
    return f"{stem}.{'pdf' if kind == AddendumKind.PDF else 'md'}"


def _addenda(letter: Letter) -> list[AddendumFile]:
    rows = Addendum.objects.filter(letter=letter).values_list(
        "id", "title", "language", "kind", "sha256", "size", "translation_of_id"
    )
    files = []
    for addendum_id, title, language, kind, sha256, size, translation_of in rows:
        filename = addendum_filename(addendum_id=addendum_id, title=title, kind=kind)
        path = reverse(
            "letters:addendum",
            kwargs={"slug": letter.slug, "addendum_id": addendum_id, "filename": filename},
        )
        files.append(
            AddendumFile(addendum_id, title, language, kind, sha256, size, translation_of, path)
        )
    return files


def _demand_texts(letter: Letter) -> list[tuple[int, dict[str, str]]]:
    demands = Demand.objects.filter(letter=letter).prefetch_related("texts")
    return [
        (demand.position, {t.language: t.text for t in demand.texts.all()}) for demand in demands
    ]


def _letter_path(letter: Letter, language: str) -> str:
    base = reverse("letters:letter", kwargs={"slug": letter.slug})
    return base if language == letter.default_language else f"{base}?lang={language}"


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    direction: str
    current: bool
    # Always explicit, so that choosing a language beats the browser's Accept-Language.
    path: str


@dataclass(frozen=True)
class ShownDemand:
    text: str
    # Differs from the page language when the demand has no translation yet.
    language: str
    direction: str


@dataclass(frozen=True)
class ShownAddendum:
    """An addendum in the reader's language where a translation exists, and its original."""

    shown: AddendumFile
    original: AddendumFile | None
    direction: str


@dataclass(frozen=True)
class LetterPage:
    letter: Letter
    language: str
    direction: str
    title: str
    body_html: str
    summary: str
    languages: list[LanguageLink]
    demands: list[ShownDemand]
    addenda: list[ShownAddendum]
    # The published count: the log's, as of its latest checkpoint.
    counts: Counts
    # Confirmed signatures that the next checkpoint will add.
    pending: int
    signable: bool

    @property
    def progress(self) -> int:
        return min(self.counts.total, self.letter.goal)

    @property
    def tiers(self) -> list[tuple[str, int]]:
        return [(tier.label, self.counts.per_tier.get(tier.value, 0)) for tier in Tier]

    @property
    def path(self) -> str:
        return _letter_path(self.letter, self.language)


@dataclass(frozen=True)
class LetterTitles:
    """The letter's title in each language of its text, and the language shown by default:
    what choosing the reader's language needs (the letter page asks the cache for it first)."""

    titles: dict[str, str]
    default: str

    @property
    def available(self) -> list[str]:
        return default_first(self.titles, self.default)


def letter_titles(*, letter: Letter) -> LetterTitles:
    titles = dict(letter.texts.values_list("language", "title"))
    if not titles:
        # A public letter always has its default text; without one there is nothing to show.
        raise Http404("This letter has no text.")
    default = letter.default_language if letter.default_language in titles else min(titles)
    return LetterTitles(titles, default)


def letter_page(
    *,
    letter: Letter,
    requested: str | None,
    accept_language: str,
    titles: LetterTitles | None = None,
) -> LetterPage:
    """Everything the public letter page shows, in the language the reader should see."""
    published, pending = published_counts(
        live=letter_counts(letter_id=letter.pk), letter_id=letter.pk
    )
    shown = titles or letter_titles(letter=letter)
    default = shown.default
    available = shown.available
    language = choose_language(
        available=available,
        requested=requested,
        accept_language=accept_language,
        default=default,
    )
    body = letter.texts.filter(language=language).values_list("body", flat=True).first() or ""
    return LetterPage(
        letter=letter,
        language=language,
        direction=direction(language),
        title=shown.titles[language],
        body_html=render_markdown(body),
        summary=markdown_summary(body),
        languages=[
            LanguageLink(
                code=code,
                name=LANGUAGES.get(code, code),
                direction=direction(code),
                current=code == language,
                path=f"{_letter_path(letter, letter.default_language)}?lang={code}",
            )
            for code in available
        ],
        demands=[_shown_demand(texts, language, default) for _, texts in _demand_texts(letter)],
        addenda=_shown_addenda(_addenda(letter), language),
        counts=published,
        pending=pending,
        signable=letter.state in SIGNABLE_STATES,
    )


def _shown_demand(texts: dict[str, str], language: str, default: str) -> ShownDemand:
    for candidate in (language, default, *sorted(texts)):
        if candidate in texts:
            return ShownDemand(texts[candidate], candidate, direction(candidate))
    return ShownDemand("", language, direction(language))


def _shown_addenda(files: list[AddendumFile], language: str) -> list[ShownAddendum]:
    translations: dict[tuple[int, str], AddendumFile] = {
        (item.translation_of, item.language): item
        for item in files
        if item.translation_of is not None
    }
    shown = []
    for item in files:
        if item.translation_of is not None:
            continue
        translated = translations.get((item.id, language)) if item.language != language else None
        if translated is None:
            shown.append(ShownAddendum(item, None, direction(item.language)))
        else:
            shown.append(ShownAddendum(translated, item, direction(translated.language)))
    return shown


@dataclass(frozen=True)
class TextInLanguage:
    language: str
    title: str
    body: str


@dataclass(frozen=True)
class LetterDocument:
    """The whole public letter in every language, for the API."""

    letter: Letter
    languages: list[str]
    texts: list[TextInLanguage]
    demands: list[tuple[int, dict[str, str]]]
    addenda: list[AddendumFile]
    counts: Counts


def letter_document(*, letter: Letter) -> LetterDocument:
    rows = letter.texts.values_list("language", "title", "body")
    found = {language: TextInLanguage(language, title, body) for language, title, body in rows}
    texts = [found[code] for code in default_first(found, letter.default_language)]
    return LetterDocument(
        letter=letter,
        languages=[text.language for text in texts],
        texts=texts,
        demands=_demand_texts(letter),
        addenda=_addenda(letter),
        counts=letter_counts(letter_id=letter.pk),
    )


def public_addendum(*, letter: Letter, addendum_id: int) -> Addendum:
    """An addendum of this public letter, bytes included; any other id is a 404."""
    if not 0 < addendum_id < _MAX_ID:
        raise Http404("There is no such document.")
    addendum = Addendum.objects.filter(letter=letter, pk=addendum_id).first()
    if addendum is None:
        raise Http404("There is no such document.")
    return addendum
