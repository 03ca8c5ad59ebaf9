"""A visitor reads a letter in a real browser: languages, direction, count, keyboard."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.support.factories import make_addendum, make_letter, set_counts
from undersigned.letters.models import DemandText, Letter, LetterText

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

TITLE_EN = "Cancel our contracts with Agency X"
TITLE_AR = "ألغوا عقودنا مع الوكالة إكس"
BODY_EN = """Dear Ms. Rivera,

We are engineers, designers, support staff and researchers at Example Corp. We are proud of \
what we build, and we want to stay proud of it.

In March we learned that the company is expanding its work for Agency X. We believe this work \
conflicts with the commitments we were hired to uphold, and that most of our colleagues agree.

We ask you to act on the demands below before the deadline. We will publish your answer to \
each of them."""
BODY_AR = """السيدة ريفيرا المحترمة،

نحن مهندسون ومصممون وموظفو دعم وباحثون في شركة المثال. نحن فخورون بما نبنيه، ونريد أن نبقى \
فخورين به.

علمنا في شهر مارس أن الشركة توسّع عملها لصالح الوكالة إكس. نعتقد أن هذا العمل يتعارض مع \
الالتزامات التي وُظّفنا من أجلها، وأن معظم زملائنا يشاركوننا هذا الرأي.

نطلب منكِ الاستجابة للمطالب أدناه قبل الموعد النهائي. وسننشر ردّكِ على كل واحد منها."""
DEMANDS = [
    ("Cancel all active offers to Agency X.", "إلغاء جميع العروض القائمة للوكالة إكس."),
    (
        "Publish the list of services we sell to Agency X.",
        "نشر قائمة الخدمات التي نبيعها للوكالة إكس.",
    ),
    (
        "Pause the infrastructure that scales its operations until an independent review ends.",
        "إيقاف البنية التحتية التي توسّع عملياتها حتى تنتهي مراجعة مستقلة.",
    ),
]


@pytest.fixture
def letter(transactional_db: None) -> Letter:
    letter = make_letter(
        "agency-x",
        title=TITLE_EN,
        body=BODY_EN,
        demands=tuple(english for english, _ in DEMANDS),
        goal=2000,
        deadline=datetime(2030, 6, 30, 17, 0, tzinfo=UTC),
    )
    LetterText.objects.create(letter=letter, language="ar", title=TITLE_AR, body=BODY_AR)
    for demand, (_, arabic) in zip(letter.demands.all(), DEMANDS, strict=True):
        DemandText.objects.create(demand=demand, language="ar", text=arabic)
    summary = make_addendum(letter, title="Summary of the Agency X contracts")
    make_addendum(
        letter,
        title="ملخص عقود الوكالة إكس",
        language="ar",
        translation_of=summary,
        content="# ملخص\n".encode(),
    )
    make_addendum(letter, title="Budget analysis", kind="pdf", content=b"%PDF-1.4\n" * 4000)
    set_counts(letter, public=212, recipient=87, counted=756, anonymous=287)
    return letter


@contextmanager
def browser_page(browser: Browser, **options: Any) -> Iterator[Page]:
    """A page in a fresh context (own locale or viewport) that may load nothing from elsewhere."""
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    outside: list[str] = []
    context.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else outside.append(request.url)
        ),
    )
    try:
        yield context.new_page()
    finally:
        context.close()
    assert outside == []


def html_language(page: Page) -> tuple[str | None, str | None]:
    html = page.locator("html")
    return html.get_attribute("lang"), html.get_attribute("dir")


@pytest.mark.e2e
def test_visitor_reads_english_then_switches_to_arabic(
    live_server: Any, page: Page, letter: Letter
) -> None:
    page.goto(f"{live_server.url}/l/{letter.slug}/")
    english = (html_language(page), page.locator("h1").inner_text())
    page.get_by_role("link", name="العربية").click()
    page.wait_for_url(f"**/l/{letter.slug}/?lang=ar")
    arabic = (html_language(page), page.locator("h1").inner_text())
    assert (english, arabic) == ((("en", "ltr"), TITLE_EN), (("ar", "rtl"), TITLE_AR))
    assert page.locator("ol.demands li").all_inner_texts() == [ar for _, ar in DEMANDS]


@pytest.mark.e2e
def test_visitor_with_arabic_browser_gets_arabic_first(
    live_server: Any, browser: Browser, letter: Letter
) -> None:
    with browser_page(browser, locale="ar") as page:
        page.goto(f"{live_server.url}/l/{letter.slug}/")
        assert (html_language(page), page.locator("h1").inner_text()) == (("ar", "rtl"), TITLE_AR)
        page.get_by_role("link", name="English").click()
        page.wait_for_url(f"**/l/{letter.slug}/?lang=en")
        assert html_language(page) == ("en", "ltr")


@pytest.mark.e2e
def test_visitor_sees_count_and_progress(live_server: Any, page: Page, letter: Letter) -> None:
    page.goto(f"{live_server.url}/l/{letter.slug}/")
    progress = page.get_by_role("progressbar", name="Goal: 2,000 signatures")
    assert (
        page.locator(".tally-number").inner_text(),
        progress.is_visible(),
        progress.evaluate("bar => [bar.value, bar.max]"),
    ) == ("1,342", True, [1342, 2000])


@pytest.mark.e2e
def test_visitor_keyboard_reaches_languages_and_sign_link(
    live_server: Any, page: Page, letter: Letter
) -> None:
    page.goto(f"{live_server.url}/l/{letter.slug}/")
    focused = []
    for _ in range(7):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert focused == [
        "Skip to content",
        "undersigned",
        "Organizer login",
        "English",
        "العربية",
        "public log",
        "Sign this letter",
    ]
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/l/{letter.slug}/sign/?v=1")


@pytest.mark.e2e
@pytest.mark.parametrize(("language", "width"), [("en", 900), ("ar", 900), ("ar", 390)])
def test_letter_page_screenshot(
    live_server: Any, browser: Browser, letter: Letter, language: str, width: int
) -> None:
    with browser_page(browser, locale="en-US", viewport={"width": width, "height": 900}) as page:
        page.goto(f"{live_server.url}/l/{letter.slug}/?lang={language}")
        # Nothing may stick out sideways, on a phone least of all.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        image = page.screenshot(full_page=True)
    assert (overflow, image[:8]) == (0, b"\x89PNG\r\n\x1a\n")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and width > 800:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"letter-{language}.png").write_bytes(image)
