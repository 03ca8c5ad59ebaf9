"""Letter services: the happy paths, and each rule that refuses input."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.support.factories import make_letter, make_organizer
from tests.support.pdf import minimal_pdf
from undersigned.accounts.models import Membership, Role, User
from undersigned.campaign import letters as services
from undersigned.letters.models import Addendum, Demand, DemandText, Letter, LetterText
from undersigned.letters.states import State

pytestmark = pytest.mark.django_db

HOSTILE_MARKDOWN = (
    '<script>alert("x")</script>\n\n[click](javascript:alert(1))\n\n<img src=x onerror=alert(1)>'
)


def _create(user: User, **overrides: Any) -> Letter:
    fields: dict[str, Any] = {
        "slug": "cancel-the-contract",
        "default_language": "en",
        "title": "Cancel the contract",
        "body": "We, the undersigned, ask leadership to act.",
        "recipient_name": "The CEO",
        "recipient_email": "CEO@Example.org",
        "domains": ["Example.org", "example.org", "corp.example.org"],
        "goal": 500,
    }
    fields.update(overrides)
    return services.letter_create(user=user, **fields)


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in excinfo.value.message_dict.items()}


def _draft(**extra: Any) -> Letter:
    return make_letter(state=State.DRAFT, **extra)


def test_letter_create_makes_draft_with_text_and_owner() -> None:
    user = make_organizer()

    letter = _create(user)

    assert (letter.state, letter.domains, letter.recipient_email) == (
        State.DRAFT,
        ["example.org", "corp.example.org"],
        "ceo@example.org",
    )
    text = LetterText.objects.get(letter=letter)
    assert (text.language, text.title) == ("en", "Cancel the contract")
    assert list(Membership.objects.filter(letter=letter).values_list("user", "role")) == [
        (user.pk, Role.OWNER)
    ]


def test_letter_create_idn_domain_stored_in_ascii_form() -> None:
    letter = _create(make_organizer(), domains=["Bücher.Example"])

    assert letter.domains == ["xn--bcher-kva.example"]


@pytest.mark.parametrize(
    "slug",
    ["ab", "a" * 65, "Upper-Case", "under_score", "-leading", "trailing-", "spa ce", "émoji", ""],
)
def test_letter_create_invalid_slug_refused(slug: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        _create(make_organizer(), slug=slug)

    assert list(_errors(excinfo)) == ["slug"]
    assert Letter.objects.count() == 0


@pytest.mark.parametrize("slug", ["new", "api", "admin", "static"])
def test_letter_create_reserved_slug_refused(slug: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        _create(make_organizer(), slug=slug)

    assert _errors(excinfo) == {
        "slug": [f"“{slug}” is reserved by the site. Please choose another address."]
    }


def test_letter_create_taken_slug_refused() -> None:
    make_letter("cancel-the-contract")

    with pytest.raises(ValidationError) as excinfo:
        _create(make_organizer())

    assert _errors(excinfo) == {"slug": ["Another letter already uses this address."]}


@pytest.mark.parametrize(
    "domains",
    [[], ["localhost"], ["192.168.0.1"], ["*.example.org"], ["exa_mple.org"], ["a..b.org"],
     ["-bad.org"], ["x" * 64 + ".org"], ["xn--zz.org"]],
)  # fmt: skip
def test_letter_create_invalid_domains_refused(domains: list[str]) -> None:
    with pytest.raises(ValidationError) as excinfo:
        _create(make_organizer(), domains=domains)

    assert list(_errors(excinfo)) == ["domains"]


def test_letter_create_bidi_override_refused_with_clear_message() -> None:
    with pytest.raises(ValidationError) as excinfo:
        _create(make_organizer(), title="Pay \u202eraise\u202c now")

    assert _errors(excinfo) == {
        "title": ["The title contains invisible direction-changing characters. Please remove them."]
    }


def test_letter_create_reports_every_problem_at_once() -> None:
    with pytest.raises(ValidationError) as excinfo:
        _create(
            make_organizer(),
            slug="x",
            title="",
            body="b" * 50_001,
            recipient_email="not an address",
            goal=0,
            default_language="xx",
        )

    assert sorted(_errors(excinfo)) == [
        "body",
        "default_language",
        "goal",
        "recipient_email",
        "slug",
        "title",
    ]
    assert _errors(excinfo)["body"] == [
        "The text is too long (50001 characters; the limit is 50000)."
    ]


def test_letter_create_dates_out_of_order_refused() -> None:
    now = timezone.now()

    with pytest.raises(ValidationError) as excinfo:
        _create(
            make_organizer(),
            opens_at=now,
            deadline=now - timedelta(days=1),
            deliver_at=now - timedelta(days=2),
        )

    assert _errors(excinfo) == {
        "deadline": ["The deadline must come after the opening."],
        "deliver_at": ["Delivery cannot come before the deadline."],
    }


def test_letter_create_hostile_markdown_stored_as_typed() -> None:
    letter = _create(make_organizer(), body=HOSTILE_MARKDOWN)

    assert LetterText.objects.get(letter=letter).body == HOSTILE_MARKDOWN


def test_letter_update_changes_settings_and_default_text() -> None:
    letter = _draft()

    services.letter_update(
        letter=letter,
        title="New title",
        body="New body",
        recipient_name="The Board",
        recipient_email="board@example.org",
        domains=["example.com"],
        goal=42,
        opens_at=None,
        deadline=None,
        deliver_at=None,
    )

    letter.refresh_from_db()
    text = LetterText.objects.get(letter=letter, language="en")
    assert (letter.recipient_name, letter.domains, letter.goal, text.title, text.body) == (
        "The Board",
        ["example.com"],
        42,
        "New title",
        "New body",
    )


def test_letter_update_closed_letter_refused() -> None:
    letter = make_letter(state=State.CLOSED)

    with pytest.raises(ValidationError) as excinfo:
        services.letter_update(
            letter=letter, title="Changed", body="", recipient_name="", recipient_email="",
            domains=["example.org"], goal=1, opens_at=None, deadline=None, deliver_at=None,
        )  # fmt: skip

    assert excinfo.value.messages == ["This letter is closed; it can no longer be changed."]
    assert LetterText.objects.get(letter=letter).title == "Cancel the contract"


def test_letter_text_set_adds_translation_with_demands() -> None:
    letter = _draft()
    first, second = Demand.objects.filter(letter=letter)

    services.letter_text_set(
        letter=letter,
        language="ar",
        title="ألغوا العقد",
        body="نحن الموقعين أدناه",
        demands={first.pk: "المطلب الأول", second.pk: ""},
    )

    assert LetterText.objects.get(letter=letter, language="ar").title == "ألغوا العقد"
    assert list(DemandText.objects.filter(language="ar").values_list("demand", "text")) == [
        (first.pk, "المطلب الأول")
    ]


def test_letter_text_set_demand_of_other_letter_refused_and_nothing_saved() -> None:
    letter = _draft()
    foreign = Demand.objects.filter(letter=make_letter()).first()
    assert foreign is not None

    with pytest.raises(ValidationError) as excinfo:
        services.letter_text_set(
            letter=letter, language="de", title="Titel", body="Text", demands={foreign.pk: "X"}
        )

    assert _errors(excinfo) == {f"demand_{foreign.pk}": ["This demand is not part of the letter."]}
    assert LetterText.objects.filter(language="de").count() == 0


def test_letter_text_set_unknown_language_refused() -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.letter_text_set(letter=_draft(), language="xx", title="T", body="B")

    assert _errors(excinfo) == {"language": ["Please choose one of the listed languages."]}


def test_letter_text_remove_drops_translation_and_its_demand_texts() -> None:
    letter = _draft(arabic=True)

    services.letter_text_remove(letter=letter, language="ar")

    assert list(LetterText.objects.filter(letter=letter).values_list("language", flat=True)) == [
        "en"
    ]
    assert DemandText.objects.filter(demand__letter=letter, language="ar").count() == 0


def test_letter_text_remove_default_language_refused() -> None:
    letter = _draft()

    with pytest.raises(ValidationError) as excinfo:
        services.letter_text_remove(letter=letter, language="en")

    assert excinfo.value.messages == ["The text in the letter's own language cannot be removed."]


def _demand_texts(letter: Letter) -> list[str]:
    return [demand.texts.get(language="en").text for demand in Demand.objects.filter(letter=letter)]


def test_demand_add_appends_with_texts() -> None:
    letter = _draft(arabic=True)

    demand = services.demand_add(letter=letter, texts={"en": "Publish the budget", "ar": "انشروا"})

    assert (demand.position, _demand_texts(letter)[-1]) == (2, "Publish the budget")
    assert demand.texts.get(language="ar").text == "انشروا"


def test_demand_add_without_default_text_refused_and_nothing_saved() -> None:
    letter = _draft()

    with pytest.raises(ValidationError) as excinfo:
        services.demand_add(letter=letter, texts={"en": "   "})

    assert _errors(excinfo) == {"text_en": ["A demand needs its text in the letter's language."]}
    assert Demand.objects.filter(letter=letter).count() == 2


def test_demand_update_empty_translation_removes_it() -> None:
    letter = _draft(arabic=True)
    demand = Demand.objects.filter(letter=letter).first()
    assert demand is not None

    services.demand_update(demand=demand, texts={"en": "Cancel every offer", "ar": ""})

    assert dict(demand.texts.values_list("language", "text")) == {"en": "Cancel every offer"}


def test_demand_update_bidi_refused() -> None:
    letter = _draft()
    demand = Demand.objects.filter(letter=letter).first()
    assert demand is not None

    with pytest.raises(ValidationError) as excinfo:
        services.demand_update(demand=demand, texts={"en": "Cancel \u2066this\u2069"})

    assert _errors(excinfo) == {
        "text_en": [
            "The demand contains invisible direction-changing characters. Please remove them."
        ]
    }


def test_demand_move_and_remove_keep_positions_dense() -> None:
    letter = _draft(demands=("one", "two", "three"))
    one, _, three = Demand.objects.filter(letter=letter)

    services.demand_move(demand=three, offset=-1)
    assert _demand_texts(letter) == ["one", "three", "two"]
    services.demand_move(demand=one, offset=-1)  # already first: stays
    assert _demand_texts(letter) == ["one", "three", "two"]
    services.demand_remove(demand=one)

    assert list(Demand.objects.filter(letter=letter).values_list("position", flat=True)) == [0, 1]
    assert _demand_texts(letter) == ["three", "two"]


def test_addendum_add_pdf_stores_bytes_hash_and_size() -> None:
    pdf = minimal_pdf()
    upload = SimpleUploadedFile("report.pdf", pdf, content_type="application/pdf")

    addendum = services.addendum_add(
        letter=_draft(), title="Report", language="en", kind="pdf", upload=upload
    )

    addendum.refresh_from_db()
    assert (bytes(addendum.content), addendum.sha256, addendum.size) == (
        pdf,
        hashlib.sha256(pdf).hexdigest(),
        len(pdf),
    )


@pytest.mark.parametrize(
    "content",
    [
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00 a Windows program",
        b"%PDF-1.4\nno end of file marker",
        b"%%EOF only the trailer %PDF-1.4",
        b"",
    ],
)
def test_addendum_add_non_pdf_named_pdf_refused_and_nothing_stored(content: bytes) -> None:
    upload = SimpleUploadedFile("report.pdf", content, content_type="application/pdf")

    with pytest.raises(ValidationError) as excinfo:
        services.addendum_add(
            letter=_draft(), title="Report", language="en", kind="pdf", upload=upload
        )

    assert _errors(excinfo) == {"upload": ["This file is not a PDF document."]}
    assert Addendum.objects.count() == 0


def test_addendum_add_pdf_over_limit_refused(settings: Any) -> None:
    settings.ADDENDUM_MAX_BYTES = 1024 * 1024
    pdf = minimal_pdf()
    too_big = pdf[:-6] + b" " * (1024 * 1024) + b"%%EOF\n"

    with pytest.raises(ValidationError) as excinfo:
        services.addendum_add(
            letter=_draft(), title="Big", language="en", kind="pdf", upload=too_big
        )

    assert _errors(excinfo) == {"upload": ["The file is too large; the limit is 1 MB."]}
    assert Addendum.objects.count() == 0


def test_addendum_add_markdown_stored_as_typed() -> None:
    addendum = services.addendum_add(
        letter=_draft(), title="Notes", language="en", kind="markdown", markdown=HOSTILE_MARKDOWN
    )

    assert bytes(addendum.content).decode() == HOSTILE_MARKDOWN
    assert addendum.sha256 == hashlib.sha256(HOSTILE_MARKDOWN.encode()).hexdigest()


def test_addendum_add_markdown_over_limit_refused() -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.addendum_add(
            letter=_draft(), title="Notes", language="en", kind="markdown", markdown="x" * 50_001
        )

    assert _errors(excinfo) == {
        "markdown": ["The text is too long (50001 characters; the limit is 50000)."]
    }


def test_addendum_add_translation_checks_its_original() -> None:
    letter = _draft()
    original = services.addendum_add(
        letter=letter, title="Notes", language="en", kind="markdown", markdown="Text"
    )
    translated = services.addendum_add(
        letter=letter,
        title="ملاحظات",
        language="ar",
        kind="markdown",
        markdown="نص",
        translation_of=original,
    )

    assert (translated.translation_of_id, translated.position) == (original.pk, original.position)
    for source, language in [(original, "ar"), (original, "en"), (translated, "de")]:
        with pytest.raises(ValidationError) as excinfo:
            services.addendum_add(
                letter=letter,
                title="Again",
                language=language,
                kind="markdown",
                markdown="x",
                translation_of=source,
            )
        assert list(_errors(excinfo)) == ["translation_of"]


def test_addendum_remove_removes_translations_too() -> None:
    letter = _draft()
    original = services.addendum_add(
        letter=letter, title="Notes", language="en", kind="markdown", markdown="Text"
    )
    services.addendum_add(
        letter=letter, title="Notiz", language="de", kind="markdown", markdown="Text",
        translation_of=original,
    )  # fmt: skip

    services.addendum_remove(addendum=original)

    assert Addendum.objects.count() == 0


def test_letter_transition_opens_and_closes() -> None:
    letter = _draft()
    user = make_organizer()

    opened = services.letter_transition(letter=letter, target=State.OPEN, user=user)
    assert opened.opens_at is not None
    closed = services.letter_transition(letter=letter, target=State.CLOSED, user=user)

    letter.refresh_from_db()
    assert (opened.state, closed.state, letter.state) == (State.OPEN, State.CLOSED, State.CLOSED)


def test_letter_transition_open_incomplete_letter_refused() -> None:
    letter = _draft(domains=[], body="")
    Letter.objects.filter(pk=letter.pk).update(recipient_email="")

    with pytest.raises(ValidationError) as excinfo:
        services.letter_transition(letter=letter, target=State.OPEN, user=make_organizer())

    assert excinfo.value.messages == [
        "Before opening, the letter needs a title and a text, at least one domain, "
        "a recipient's name and email."
    ]
    letter.refresh_from_db()
    assert letter.state == State.DRAFT


@pytest.mark.parametrize(("target", "message"), [
    (State.DELIVERED, "A letter that is draft cannot become delivered."),
    ("bogus", "Unknown state."),
])  # fmt: skip
def test_letter_transition_not_allowed_refused(target: str, message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.letter_transition(letter=_draft(), target=target, user=make_organizer())

    assert excinfo.value.messages == [message]


def test_letter_transition_archived_destroys_mailbox_key() -> None:
    owner = make_organizer()
    letter = make_letter(state=State.CLOSED, owner=owner)
    assert Letter.objects.get(pk=letter.pk).mailbox_key is not None

    services.letter_transition(letter=letter, target=State.ARCHIVED, user=owner)

    assert Letter.objects.get(pk=letter.pk).mailbox_key is None
