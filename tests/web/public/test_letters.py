from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from tests.support.factories import make_addendum, make_letter, set_counts
from undersigned.letters.models import Demand, DemandText, LetterText
from undersigned.letters.states import State

pytestmark = pytest.mark.django_db


def meta(html: str, key: str) -> str:
    found = re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', html)
    assert len(found) == 1, f"{key}: {found}"
    return unescape(found[0])


def html_element(html: str) -> str:
    return re.findall(r"<html [^>]*>", html)[0]


def test_home_lists_public_letters_with_counts(client: Client) -> None:
    letter = make_letter("open-letter", title="Cancel the contract", goal=500)
    set_counts(letter, public=12, anonymous=30)
    make_letter("secret-draft", state=State.DRAFT, title="Secret draft")
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'<h3><a href="(/l/[^"]+/)"', html) == ["/l/open-letter/"]
    assert re.findall(r'class="letter-card-count"><strong>(\d+)</strong> of (\d+)', html) == [
        ("42", "500")
    ]


def test_letter_page_english_by_default(client: Client) -> None:
    letter = make_letter("cancel", arabic=True, title="Cancel the contract")
    response = client.get(f"/l/{letter.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html_element(html) == '<html lang="en" dir="ltr">'
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["Cancel the contract"]
    assert response["Content-Language"] == "en"
    assert response["Vary"].split(", ").count("Accept-Language") == 1


def test_letter_page_lang_query_selects_arabic_rtl(client: Client) -> None:
    letter = make_letter("cancel", arabic=True)
    html = client.get(f"/l/{letter.slug}/?lang=ar").content.decode()
    assert html_element(html) == '<html lang="ar" dir="rtl">'
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["ألغوا العقد"]
    assert re.findall(r'<ol class="demands">\s*<li>(.*?)</li>\s*<li>(.*?)</li>', html) == [
        ("مطلب 1", "مطلب 2")
    ]


def test_letter_page_accept_language_chooses_translation(client: Client) -> None:
    letter = make_letter("cancel", arabic=True)
    response = client.get(f"/l/{letter.slug}/", headers={"accept-language": "ar-EG,en;q=0.4"})
    assert html_element(response.content.decode()) == '<html lang="ar" dir="rtl">'


def test_letter_page_lang_query_beats_accept_language(client: Client) -> None:
    letter = make_letter("cancel", arabic=True)
    response = client.get(f"/l/{letter.slug}/?lang=en", headers={"accept-language": "ar"})
    assert html_element(response.content.decode()) == '<html lang="en" dir="ltr">'


def test_letter_page_unknown_lang_query_gives_default(client: Client) -> None:
    letter = make_letter("cancel", arabic=True)
    html = client.get(f"/l/{letter.slug}/?lang=xx").content.decode()
    assert html_element(html) == '<html lang="en" dir="ltr">'


def test_letter_page_language_switcher_links(client: Client) -> None:
    letter = make_letter("cancel", arabic=True)
    html = client.get(f"/l/{letter.slug}/?lang=ar").content.decode()
    links = re.findall(
        r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+" dir="(\w+)"( aria-current="page")?>', html
    )
    assert links == [
        ("/l/cancel/?lang=en", "en", "ltr", ""),
        ("/l/cancel/?lang=ar", "ar", "rtl", ' aria-current="page"'),
    ]


def test_letter_page_single_language_has_no_switcher(client: Client) -> None:
    letter = make_letter("cancel")
    html = client.get(f"/l/{letter.slug}/").content.decode()
    assert re.findall(r"letter-langs", html) == []


def test_letter_page_untranslated_demand_marked_in_its_language(client: Client) -> None:
    letter = make_letter("cancel", demands=("Stop it",))
    LetterText.objects.create(letter=letter, language="ar", title="عنوان", body="نص")
    html = client.get(f"/l/{letter.slug}/?lang=ar").content.decode()
    assert re.findall(r'<ol class="demands">\s*(<li[^>]*>.*?</li>)', html) == [
        '<li lang="en" dir="ltr">Stop it</li>'
    ]


def test_letter_page_demands_numbered_in_position_order(client: Client) -> None:
    letter = make_letter("cancel", demands=())
    for position, text in [(2, "Third"), (0, "First"), (1, "Second")]:
        demand = Demand.objects.create(letter=letter, position=position)
        DemandText.objects.create(demand=demand, language="en", text=text)
    html = client.get(f"/l/{letter.slug}/").content.decode()
    assert re.findall(r"<li>(\w+)</li>", html) == ["First", "Second", "Third"]


def test_letter_page_body_is_sanitized_markdown(client: Client) -> None:
    letter = make_letter("cancel", body="We ask **now**.\n\n<script>alert(1)</script>")
    html = client.get(f"/l/{letter.slug}/").content.decode()
    assert re.findall(r'<div class="letter-body">(.*?)</div>', html, re.S) == [
        "<p>We ask <strong>now</strong>.</p>\n<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    ]


def test_letter_page_hostile_title_is_escaped(client: Client) -> None:
    letter = make_letter("cancel", title='<script>alert("x")</script>')
    html = client.get(f"/l/{letter.slug}/").content.decode()
    assert re.findall(r"<script", html) == []
    assert meta(html, "og:title") == '<script>alert("x")</script>'


def test_letter_page_count_progress_and_tiers(client: Client) -> None:
    letter = make_letter("cancel", goal=1000)
    set_counts(letter, public=1200, recipient=3, counted=40, anonymous=7)
    html = client.get(f"/l/{letter.slug}/").content.decode()
    assert re.findall(r'<span class="tally-number">([^<]+)</span>', html) == ["1,250"]
    assert re.findall(r"<progress [^>]*>", html) == [
        '<progress class="tally-bar" max="1000" value="1000" aria-labelledby="tally-goal">'
    ]
    assert re.findall(r"<dt><span>([^<]+)</span></dt><dd>([^<]+)</dd>", html) == [
        ("Public", "1,200"),
        ("Recipient only", "3"),
        ("Counted only", "40"),
        ("Anonymous", "7"),
    ]


def test_letter_page_deadline_shown(client: Client) -> None:
    letter = make_letter("cancel", deadline=datetime(2030, 6, 30, 17, 0, tzinfo=UTC))
    html = client.get(f"/l/{letter.slug}/").content.decode()
    assert re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html) == [
        ("2030-06-30T17:00:00+00:00", "June 30, 2030")
    ]


def test_letter_page_open_letter_links_to_signing(client: Client) -> None:
    letter = make_letter("cancel")
    html = client.get(f"/l/{letter.slug}/").content.decode()
    assert re.findall(r'<a class="button[^"]*" href="([^"]+)">Sign this letter</a>', html) == [
        "/l/cancel/sign/?v=1",
        "/l/cancel/sign/?v=1",
    ]


@pytest.mark.parametrize("state", [State.CLOSED, State.DELIVERED])
def test_letter_page_not_open_has_no_sign_link(client: Client, state: str) -> None:
    letter = make_letter("cancel", state=state)
    response = client.get(f"/l/{letter.slug}/")
    assert response.status_code == 200
    assert re.findall(r"Sign this letter", response.content.decode()) == []


@pytest.mark.parametrize("state", [State.DRAFT, State.ARCHIVED])
def test_letter_page_draft_or_archived_is_404(client: Client, state: str) -> None:
    letter = make_letter("cancel", state=state)
    response = client.get(f"/l/{letter.slug}/")
    assert response.status_code == 404


def test_letter_page_unknown_slug_is_404(client: Client) -> None:
    assert client.get("/l/nothing-here/").status_code == 404


def test_letter_page_open_graph_tags(client: Client, settings: object) -> None:
    settings.SITE_URL = "https://letters.example"  # type: ignore[attr-defined]
    letter = make_letter(
        "cancel",
        arabic=True,
        title="Cancel the contract",
        body="# Dear CEO\n\nWe, the *undersigned*, ask you to [act](https://x.example).\n\nMore.",
    )
    english = client.get(f"/l/{letter.slug}/").content.decode()
    arabic = client.get(f"/l/{letter.slug}/?lang=ar").content.decode()
    assert [meta(english, key) for key in ("og:title", "og:description", "og:url")] == [
        "Cancel the contract",
        "We, the undersigned, ask you to act.",
        "https://letters.example/l/cancel/",
    ]
    assert meta(english, "twitter:card") == "summary"
    assert [meta(arabic, key) for key in ("og:title", "og:url")] == [
        "ألغوا العقد",
        "https://letters.example/l/cancel/?lang=ar",
    ]


def test_letter_page_addenda_listed_with_hash_and_size(client: Client) -> None:
    letter = make_letter("cancel")
    content = b"%PDF-1.4\n" + b"x" * 2048
    addendum = make_addendum(letter, title="Budget 2025", kind="pdf", content=content)
    html = client.get(f"/l/{letter.slug}/").content.decode()
    assert re.findall(r'<a class="addendum-title" href="([^"]+)" download>([^<]+)</a>', html) == [
        (f"/l/cancel/addenda/{addendum.pk}/budget-2025.pdf", "Budget 2025")
    ]
    assert re.findall(r'<p class="addendum-meta"><span>([^<]+)</span></p>', html) == [
        "PDF · 2.0\xa0KB"
    ]
    assert re.findall(r'SHA-256 <code dir="ltr">(\w+)</code>', html) == [
        hashlib.sha256(content).hexdigest()
    ]


def test_letter_page_addendum_title_in_arabic_links_original(client: Client) -> None:
    letter = make_letter("cancel", arabic=True)
    original = make_addendum(letter, title="Contract summary")
    translated = make_addendum(
        letter, title="ملخص العقد", language="ar", translation_of=original, content=b"ar"
    )
    html = client.get(f"/l/{letter.slug}/?lang=ar").content.decode()
    assert re.findall(r'class="addendum-title" href="([^"]+)" download>([^<]+)<', html) == [
        (f"/l/cancel/addenda/{translated.pk}/addendum-{translated.pk}.md", "ملخص العقد")
    ]
    assert re.findall(r'<a href="([^"]+)" download>original</a>', html) == [
        f"/l/cancel/addenda/{original.pk}/contract-summary.md"
    ]


def test_letter_page_query_count_is_fixed(
    client: Client, django_assert_max_num_queries: type[DjangoAssertNumQueries]
) -> None:
    letter = make_letter("cancel", arabic=True, demands=tuple(f"Demand {i}" for i in range(30)))
    for number in range(10):
        make_addendum(letter, title=f"Document {number}")
    set_counts(letter, public=3, anonymous=4)
    with django_assert_max_num_queries(8):
        response = client.get(f"/l/{letter.slug}/?lang=ar")
    assert response.status_code == 200


def test_home_without_letters_says_so(client: Client) -> None:
    html = client.get("/").content.decode()
    assert re.findall(r'<p class="notice">([^<]+)</p>', html) == ["No letters are public yet."]


def test_letter_page_post_is_405(client: Client) -> None:
    letter = make_letter("cancel")
    assert client.post(f"/l/{letter.slug}/", {"x": "1"}).status_code == 405


def test_letter_page_interface_words_marked_english_on_arabic_page(client: Client) -> None:
    letter = make_letter("cancel", arabic=True)
    arabic = client.get(f"/l/{letter.slug}/?lang=ar").content.decode()
    english = client.get(f"/l/{letter.slug}/").content.decode()
    heading = r'<h2 id="demands-heading">(.*?)</h2>'
    assert (re.findall(heading, arabic), re.findall(heading, english)) == (
        ['<span lang="en" dir="ltr">Demands</span>'],
        ["<span>Demands</span>"],
    )


def test_letter_page_interface_dates_stay_english_for_arabic_browsers(client: Client) -> None:
    letter = make_letter("cancel", arabic=True, deadline=datetime(2030, 6, 30, 17, 0, tzinfo=UTC))
    html = client.get(f"/l/{letter.slug}/", headers={"accept-language": "ar"}).content.decode()
    assert re.findall(r"<time [^>]*>([^<]+)</time>", html) == ["June 30, 2030"]
