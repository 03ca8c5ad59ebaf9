"""Mail in the reader's language: mail/<name>/<language>/ parts, else the shared (English) ones."""

from __future__ import annotations

from pathlib import Path

import pytest

import undersigned
from undersigned.mail.services import render_email

UPDATE_FRAMES = Path(undersigned.__file__).parent / "templates" / "mail" / "update"
CONTEXT = {
    "title": "T",
    "subject": "S <b>",
    "body": "B <i>x</i>",
    "letter_url": "https://letters.example/l/demo/",
    "unsubscribe_url": "https://letters.example/l/demo/unsubscribe/1.abc/?lang=xx",
}
GREETINGS = {"en": "Hello,", "ar": "مرحبًا،", "de": "Hallo,", "es": "Hola:", "fr": "Bonjour,"}


def _render(language: str) -> tuple[str, str, str]:
    email = render_email("update", to="a@example.org", context=CONTEXT, language=language)
    html = email.alternatives[0][0]
    return str(email.subject), str(email.body), str(html)


def test_update_frame_translations_shipped_are_exactly_these() -> None:
    folders = sorted(p.name for p in UPDATE_FRAMES.iterdir() if p.is_dir())
    assert folders == ["ar", "de", "es", "fr"]


@pytest.mark.parametrize("language", sorted(GREETINGS))
def test_update_frame_in_each_language_keeps_text_links_and_escaping(language: str) -> None:
    subject, text, html = _render(language)

    direction = "rtl" if language == "ar" else "ltr"
    assert (subject, text.splitlines()[0]) == ("S <b>", GREETINGS[language])
    assert f'<html lang="{language}" dir="{direction}">' in html
    # Every translation carries the organizers' text, the letter and the way out.
    assert [part in text for part in ("S <b>", "B <i>x</i>", CONTEXT["letter_url"],
                                      CONTEXT["unsubscribe_url"])] == [True] * 4  # fmt: skip
    links = [f'href="{CONTEXT["letter_url"]}"', f'href="{CONTEXT["unsubscribe_url"]}"']
    wanted = ["S &lt;b&gt;", "<p>B &lt;i&gt;x&lt;/i&gt;</p>", *links]
    assert [part in html for part in wanted] == [True] * 4


def test_update_frame_untranslated_language_falls_back_to_english() -> None:
    assert _render("ja") == _render("en")


def test_mail_without_translation_folders_renders_as_before() -> None:
    email = render_email(
        "code",
        to="a@example.org",
        context={"code": "12345678", "link": "u", "minutes": 30},
        language="de",
    )
    assert str(email.subject) == "Your confirmation code"
