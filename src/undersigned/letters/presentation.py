"""How a letter is presented, computed once: text direction, language order, which language a
reader gets, the title shown when a translation is missing, and the letter's public address."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings

from undersigned.letters.models import RTL_LANGUAGES, Letter, LetterText

# Enough for any real browser; a longer header is someone probing us and gets the default.
_ACCEPT_LANGUAGE_MAX_ENTRIES = 32


def direction(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def default_first(codes: Iterable[str], default: str) -> list[str]:
    """Language codes in the order pages list them: the letter's own first, then by code."""
    return sorted(codes, key=lambda code: (code != default, code))


def choose_language(
    *, available: Sequence[str], requested: str | None, accept_language: str, default: str
) -> str:
    """`?lang=` if the letter has it, else the reader's best Accept-Language match, else default."""
    if requested and requested in available:
        return requested
    for tag in _accepted_tags(accept_language):
        if tag in available:
            return tag
        primary = tag.split("-", 1)[0]
        if primary in available:
            return primary
    return default


def _accepted_tags(header: str) -> list[str]:
    """Tags from an Accept-Language header, most wanted first; malformed entries skipped."""
    weighted: list[tuple[float, int, str]] = []
    for order, entry in enumerate(header.split(",")[:_ACCEPT_LANGUAGE_MAX_ENTRIES]):
        tag, _, params = entry.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        params = params.strip()
        if params:
            name, _, value = params.partition("=")
            if name.strip() != "q":
                continue
            try:
                quality = float(value)
            except ValueError:
                continue
            if not 0 < quality <= 1:
                continue
        weighted.append((-quality, order, tag))
    return [tag for _, _, tag in sorted(weighted)]


def title_in(titles: Mapping[str, str], *, language: str, default: str, slug: str) -> str:
    """The title in `language`, else in the letter's own language, else its address: a page
    always has something to call the letter."""
    return titles.get(language) or titles.get(default) or slug


def letter_title(letter: Letter, language: str) -> str:
    """The letter's title in `language`, falling back as title_in does (one query)."""
    titles = dict(
        LetterText.objects.filter(
            letter=letter, language__in={language, letter.default_language}
        ).values_list("language", "title")
    )
    return title_in(titles, language=language, default=letter.default_language, slug=letter.slug)


def letter_url(*, slug: str) -> str:
    """The letter's public page, absolute, as links in email and documents give it."""
    return f"{settings.SITE_URL}/l/{slug}/"
