"""Reads for the organizer dashboard: a letter with everything its organizers edit.

Lookups by id take the letter the organizer was granted, so an id from another letter is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, QuerySet

from undersigned.accounts.permissions import NotFound
from undersigned.letters.models import LANGUAGES, Addendum, Demand, Letter, LetterText
from undersigned.letters.presentation import default_first, direction

M = TypeVar("M", bound=Model)
# Ids are 64-bit; a larger number from a URL would overflow the database driver.
_MAX_ID = 2**63


@dataclass(frozen=True)
class ManagedText:
    language: str
    name: str
    direction: str
    title: str
    body: str
    is_default: bool


@dataclass(frozen=True)
class ManagedDemand:
    demand: Demand
    # language -> text, the letter's language first.
    texts: dict[str, str]


@dataclass(frozen=True)
class ManagedLetter:
    letter: Letter
    title: str
    texts: list[ManagedText]
    demands: list[ManagedDemand]
    addenda: list[Addendum]

    @property
    def languages(self) -> list[str]:
        return [text.language for text in self.texts]

    @property
    def originals(self) -> list[Addendum]:
        """Addenda that are not translations of another."""
        return [addendum for addendum in self.addenda if addendum.translation_of_id is None]


def _texts(letter: Letter) -> list[ManagedText]:
    rows = LetterText.objects.filter(letter=letter).values_list("language", "title", "body")
    texts = [
        ManagedText(
            language=language,
            name=LANGUAGES.get(language, language),
            direction=direction(language),
            title=title,
            body=body,
            is_default=language == letter.default_language,
        )
        for language, title, body in rows
    ]
    return sorted(texts, key=lambda text: (not text.is_default, text.language))


def managed_letter(*, letter: Letter) -> ManagedLetter:
    texts = _texts(letter)
    order = {text.language: index for index, text in enumerate(texts)}
    demands = [
        ManagedDemand(
            demand=demand,
            texts={
                t.language: t.text
                for t in sorted(demand.texts.all(), key=lambda t: order.get(t.language, 99))
            },
        )
        for demand in Demand.objects.filter(letter=letter).prefetch_related("texts")
    ]
    addenda = list(Addendum.objects.filter(letter=letter).defer("content"))
    title = next((text.title for text in texts if text.is_default), letter.slug)
    return ManagedLetter(letter=letter, title=title, texts=texts, demands=demands, addenda=addenda)


def managed_text(*, letter: Letter, language: str) -> LetterText | None:
    return LetterText.objects.filter(letter=letter, language=language).first()


def _one(queryset: QuerySet[M], pk: int) -> M:
    """The row with this id, or the dashboard's 404 (also for ids no database could hold)."""
    found = queryset.filter(pk=pk).first() if 0 < pk < _MAX_ID else None
    if found is None:
        raise NotFound()
    return found


def managed_demand(*, letter: Letter, demand_id: int) -> ManagedDemand:
    demand = _one(Demand.objects.filter(letter=letter).prefetch_related("texts"), demand_id)
    return ManagedDemand(demand=demand, texts={t.language: t.text for t in demand.texts.all()})


def managed_addendum(*, letter: Letter, addendum_id: int) -> Addendum:
    return _one(Addendum.objects.filter(letter=letter).defer("content"), addendum_id)


def managed_languages(*, letter: Letter) -> list[str]:
    """The languages the letter has a text in, its own language first."""
    languages = LetterText.objects.filter(letter=letter).values_list("language", flat=True)
    return default_first(languages, letter.default_language)
