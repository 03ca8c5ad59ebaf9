"""Changes to letters: creation, settings, texts, demands, addenda and state. One transaction each.

Editing rules. While a letter is a draft, everything can change. While it is open, every change
to its text (titles, bodies, demands) makes a new version recorded in the public log; after the
first signature such a change is an amendment and needs a public note (letters/versions.py).
Settings and addenda stay editable while open. Once closed, delivered or archived, nothing
changes. The slug and the default language are fixed at creation: the slug is the letter's
address, and translations translate the default-language text.

Refusals are ValidationErrors keyed by the name of the form field they concern.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from undersigned.accounts.models import Membership, Role, User
from undersigned.campaign.amendments import text_change
from undersigned.common.text import clean_text
from undersigned.letters.locks import letter_editable, letter_locked
from undersigned.letters.models import (
    Addendum,
    Demand,
    DemandText,
    Letter,
    LetterText,
)
from undersigned.letters.states import State, TransitionError, check_transition, state_write
from undersigned.letters.validation import (
    BODY_MAX,
    DEMAND_MAX,
    MAX_ADDENDA,
    MAX_DEMANDS,
    RECIPIENT_NAME_MAX,
    TITLE_MAX,
    FieldErrors,
    addendum_content_clean,
    domains_clean,
    goal_clean,
    language_clean,
    recipient_email_clean,
    slug_clean,
)
from undersigned.letters.versions import version_record
from undersigned.signing.services import anonymous_open, letter_secrets_purge

logger = logging.getLogger(__name__)


def _settings_clean(
    errors: FieldErrors,
    *,
    recipient_name: str,
    recipient_email: str,
    domains: Iterable[str],
    goal: int,
    opens_at: datetime | None,
    deadline: datetime | None,
    deliver_at: datetime | None,
) -> dict[str, Any]:
    """The letter's own fields; the recipient may stay empty while drafting."""
    if opens_at and deadline and deadline <= opens_at:
        errors.add("deadline", "The deadline must come after the opening.")
    if deadline and deliver_at and deliver_at < deadline:
        errors.add("deliver_at", "Delivery cannot come before the deadline.")
    name_max = RECIPIENT_NAME_MAX
    return {
        "recipient_name": errors.check(
            "recipient_name",
            clean_text,
            recipient_name,
            field="recipient's name",
            max_length=name_max,
        ),
        "recipient_email": errors.check("recipient_email", recipient_email_clean, recipient_email),
        "domains": errors.check("domains", domains_clean, domains),
        "goal": errors.check("goal", goal_clean, goal),
        "opens_at": opens_at,
        "deadline": deadline,
        "deliver_at": deliver_at,
    }


def _text_clean(errors: FieldErrors, *, title: str, body: str) -> dict[str, str]:
    values = {
        "title": errors.check("title", clean_text, title, field="title", max_length=TITLE_MAX),
        "body": errors.check(
            "body", clean_text, body, field="text", max_length=BODY_MAX, multiline=True
        ),
    }
    if values["title"] == "":
        errors.add("title", "Please give the letter a title.")
    return values


@transaction.atomic
def letter_create(
    *,
    user: User,
    slug: str,
    default_language: str,
    title: str,
    body: str,
    recipient_name: str,
    recipient_email: str,
    domains: Iterable[str],
    goal: int,
    opens_at: datetime | None = None,
    deadline: datetime | None = None,
    deliver_at: datetime | None = None,
) -> Letter:
    """A draft letter with its default-language text; `user` becomes its owner."""
    errors = FieldErrors()
    clean_slug = errors.check("slug", slug_clean, slug)
    language = errors.check("default_language", language_clean, default_language)
    fields = _settings_clean(
        errors,
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        domains=domains,
        goal=goal,
        opens_at=opens_at,
        deadline=deadline,
        deliver_at=deliver_at,
    )
    text = _text_clean(errors, title=title, body=body)
    errors.raise_if_any()
    taken = ValidationError({"slug": "Another letter already uses this address."})
    if Letter.objects.filter(slug=clean_slug).exists():
        raise taken
    try:
        with transaction.atomic():
            letter = Letter.objects.create(
                slug=clean_slug, default_language=language, state=State.DRAFT, **fields
            )
    except IntegrityError as exc:  # another organizer took the slug a moment ago
        raise taken from exc
    LetterText.objects.create(letter=letter, language=language, **text)
    Membership.objects.create(user=user, letter=letter, role=Role.OWNER)
    return letter


@transaction.atomic
def letter_update(
    *,
    letter: Letter,
    title: str,
    body: str,
    recipient_name: str,
    recipient_email: str,
    domains: Iterable[str],
    goal: int,
    opens_at: datetime | None,
    deadline: datetime | None,
    deliver_at: datetime | None,
) -> Letter:
    """The letter's settings and its default-language title and text."""
    letter = letter_editable(letter)
    errors = FieldErrors()
    fields = _settings_clean(
        errors,
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        domains=domains,
        goal=goal,
        opens_at=opens_at,
        deadline=deadline,
        deliver_at=deliver_at,
    )
    text = _text_clean(errors, title=title, body=body)
    errors.raise_if_any()
    for name, value in fields.items():
        setattr(letter, name, value)
    letter.save(update_fields=list(fields))
    LetterText.objects.update_or_create(
        letter=letter, language=letter.default_language, defaults=text
    )
    return letter


def _demand_texts_set(
    errors: FieldErrors, *, letter: Letter, demand: Demand, texts: Mapping[str, str], key: str
) -> None:
    """Sets one demand's text per language; an empty translation removes that translation."""
    for language, raw in texts.items():
        field = key.format(language=language, demand=demand.pk)
        if errors.check(field, language_clean, language) is None:
            continue
        text = errors.check(field, clean_text, raw, field="demand", max_length=DEMAND_MAX)
        if text is None:
            continue
        if text:
            DemandText.objects.update_or_create(
                demand=demand, language=language, defaults={"text": text}
            )
        elif language == letter.default_language:
            errors.add(field, "A demand needs its text in the letter's language.")
        else:
            DemandText.objects.filter(demand=demand, language=language).delete()


@transaction.atomic
def letter_text_set(
    *,
    letter: Letter,
    language: str,
    title: str,
    body: str,
    demands: Mapping[int, str] | None = None,
    note: str = "",
) -> LetterText:
    """Adds or replaces the letter's text in `language`, with its demands (id -> text) there.

    On an open letter that has been signed, `note` says what the amendment changes.
    """
    with text_change(letter, note) as locked:
        return _letter_text_set(locked, language, title, body, demands or {})


def _letter_text_set(
    letter: Letter, language: str, title: str, body: str, demands: Mapping[int, str]
) -> LetterText:
    errors = FieldErrors()
    language = errors.check("language", language_clean, language)
    text = _text_clean(errors, title=title, body=body)
    errors.raise_if_any()
    saved, _ = LetterText.objects.update_or_create(letter=letter, language=language, defaults=text)
    by_id = {demand.pk: demand for demand in Demand.objects.filter(letter=letter)}
    for demand_id, raw in demands.items():
        if demand_id not in by_id:
            errors.add(f"demand_{demand_id}", "This demand is not part of the letter.")
            continue
        _demand_texts_set(
            errors,
            letter=letter,
            demand=by_id[demand_id],
            texts={language: raw},
            key="demand_{demand}",
        )
    errors.raise_if_any()  # rolls the whole change back
    return saved


@transaction.atomic
def letter_text_remove(*, letter: Letter, language: str, note: str = "") -> None:
    """Removes a translation: the letter's text and its demands' texts in that language."""
    with text_change(letter, note) as letter:
        if language == letter.default_language:
            raise ValidationError("The text in the letter's own language cannot be removed.")
        LetterText.objects.filter(letter=letter, language=language).delete()
        DemandText.objects.filter(demand__letter=letter, language=language).delete()


def _renumber(demands: list[Demand]) -> None:
    for position, demand in enumerate(demands):
        if demand.position != position:
            demand.position = position
            demand.save(update_fields=["position"])


@transaction.atomic
def demand_add(*, letter: Letter, texts: Mapping[str, str], note: str = "") -> Demand:
    """A new last demand; `texts` (language -> text) must include the letter's language."""
    with text_change(letter, note) as letter:
        count = Demand.objects.filter(letter=letter).count()
        if count >= MAX_DEMANDS:
            raise ValidationError(f"A letter can have at most {MAX_DEMANDS} demands.")
        errors = FieldErrors()
        demand = Demand.objects.create(letter=letter, position=count)
        # Listing the letter's language first makes a missing text there a refusal, not a gap.
        texts = {letter.default_language: "", **texts}
        _demand_texts_set(errors, letter=letter, demand=demand, texts=texts, key="text_{language}")
        errors.raise_if_any()
        return demand


@transaction.atomic
def demand_update(*, demand: Demand, texts: Mapping[str, str], note: str = "") -> Demand:
    with text_change(demand.letter, note) as letter:
        errors = FieldErrors()
        _demand_texts_set(errors, letter=letter, demand=demand, texts=texts, key="text_{language}")
        errors.raise_if_any()
        return demand


@transaction.atomic
def demand_remove(*, demand: Demand, note: str = "") -> None:
    with text_change(demand.letter, note) as letter:
        demand.delete()
        _renumber(list(Demand.objects.filter(letter=letter)))


@transaction.atomic
def demand_move(*, demand: Demand, offset: int, note: str = "") -> None:
    """Moves a demand `offset` places (negative is up), stopping at either end."""
    with text_change(demand.letter, note) as letter:
        demands = list(Demand.objects.filter(letter=letter))
        index = next(i for i, d in enumerate(demands) if d.pk == demand.pk)
        moved = demands.pop(index)
        demands.insert(max(0, min(len(demands), index + offset)), moved)
        _renumber(demands)


@transaction.atomic
def addendum_add(
    *,
    letter: Letter,
    title: str,
    language: str,
    kind: str,
    markdown: str | None = None,
    upload: bytes | File[bytes] | None = None,
    translation_of: Addendum | None = None,
) -> Addendum:
    """A supporting document, its bytes kept in the database with their SHA-256 and size."""
    letter = letter_editable(letter)
    if Addendum.objects.filter(letter=letter).count() >= MAX_ADDENDA:
        raise ValidationError(f"A letter can have at most {MAX_ADDENDA} addenda.")
    errors = FieldErrors()
    clean_title = errors.check("title", clean_text, title, field="title", max_length=TITLE_MAX)
    if clean_title == "":
        errors.add("title", "Please give the addendum a title.")
    language = errors.check("language", language_clean, language)
    if translation_of is not None and (
        translation_of.letter_id != letter.pk
        or translation_of.translation_of_id is not None
        or translation_of.language == language
        or translation_of.translations.filter(language=language).exists()
    ):
        errors.add(
            "translation_of",
            "Choose an original addendum of this letter that has no translation in this language.",
        )
    content = errors.check("content", addendum_content_clean, kind, markdown, upload)
    errors.raise_if_any()
    if translation_of is not None:
        position = translation_of.position
    else:
        top = Addendum.objects.filter(letter=letter).aggregate(top=Max("position"))["top"]
        position = 0 if top is None else top + 1
    return Addendum.objects.create(
        letter=letter,
        position=position,
        language=language,
        translation_of=translation_of,
        title=clean_title,
        kind=kind,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


@transaction.atomic
def addendum_remove(*, addendum: Addendum) -> None:
    """Removes an addendum and, with it, its translations."""
    letter_editable(addendum.letter)
    addendum.delete()


def _open_problems(letter: Letter) -> list[str]:
    text = LetterText.objects.filter(letter=letter, language=letter.default_language).first()
    problems = []
    if text is None or not text.title or not text.body:
        problems.append("a title and a text")
    if not letter.domains:
        problems.append("at least one domain")
    if not letter.recipient_name or not letter.recipient_email:
        problems.append("a recipient's name and email")
    return problems


@transaction.atomic
def letter_transition(*, letter: Letter, target: str, user: User) -> Letter:
    """Moves the letter to `target` if the state machine allows it (letters/states.py)."""
    letter = letter_locked(letter)
    if target not in State.values:
        raise ValidationError("Unknown state.")
    try:
        check_transition(letter.state, target)
    except TransitionError as exc:
        raise ValidationError(str(exc)) from exc
    if target == State.OPEN:
        problems = _open_problems(letter)
        if problems:
            raise ValidationError("Before opening, the letter needs " + ", ".join(problems) + ".")
        now = timezone.now()
        if letter.opens_at is None or letter.opens_at > now:
            letter.opens_at = now
    state_write(letter, target, also=("opens_at",))
    if target == State.OPEN:
        # The text people sign from now on is version 1 (or the version it was when closed).
        version_record(letter=letter)
        # The letter's issuance key, and its log's genesis entry publishing it, exist before
        # anyone signs (docs/anonymous.md); reopening keeps both.
        anonymous_open(letter=letter)
    if target == State.ARCHIVED:
        # Archiving ends the campaign: the keys and addresses that could identify signers go now,
        # in the same transaction, so an archived letter never still holds them.
        letter_secrets_purge(letter=letter)
    logger.info("letter %s became %s (organizer %s)", letter.slug, target, user.pk)
    return letter
