from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.letters.markdown import markdown_summary, render_markdown

REL = 'rel="nofollow noopener noreferrer"'


def test_render_markdown_basic_formatting() -> None:
    html = render_markdown("Hello *you* and **them**.\n\n- one\n- two")
    assert html == (
        "<p>Hello <em>you</em> and <strong>them</strong>.</p>\n"
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    )


def test_render_markdown_headings_start_below_the_page_title() -> None:
    assert render_markdown("# Why\n\n###### Deep") == "<h2>Why</h2>\n<h6>Deep</h6>"


def test_render_markdown_https_link_gets_safe_rel() -> None:
    html = render_markdown("[read](https://example.org/a?b=1)")
    assert html == f'<p><a href="https://example.org/a?b=1" {REL}>read</a></p>'


def test_render_markdown_mailto_link_kept() -> None:
    html = render_markdown("[write](mailto:team@example.org)")
    assert html == f'<p><a href="mailto:team@example.org" {REL}>write</a></p>'


def test_render_markdown_link_title_kept() -> None:
    html = render_markdown('[a](https://example.org "Title")')
    assert html == f'<p><a href="https://example.org" title="Title" {REL}>a</a></p>'


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript&#x3A;alert(1))",
        "[x](java%0Ascript:alert(1))",
        "[x](<java\tscript:alert(1)>)",
        "[x]( javascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](file:///etc/passwd)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_render_markdown_hostile_link_never_becomes_href(markdown: str) -> None:
    html = render_markdown(markdown)
    assert re.findall(r"href=", html) == []
    assert re.findall(r"(?i)javascript:|vbscript:", html) == []


@pytest.mark.parametrize(
    "markdown",
    ["[x](/relative)", "[x](//evil.example/)", "[x](#top)", "[x](ftp://files.example/)"],
)
def test_render_markdown_non_http_links_lose_href(markdown: str) -> None:
    assert re.findall(r"href=", render_markdown(markdown)) == []


def test_render_markdown_script_tag_is_text() -> None:
    html = render_markdown("<script>alert(1)</script>")
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_render_markdown_raw_html_block_is_text() -> None:
    html = render_markdown('<div onclick="steal()">\nhi\n</div>')
    assert html == '<p>&lt;div onclick="steal()"&gt;\nhi\n&lt;/div&gt;</p>'


def test_render_markdown_event_handler_in_inline_html_is_text() -> None:
    html = render_markdown('<a href="https://x.example" onmouseover="steal()">x</a>')
    assert re.findall(r"<a ", html) == []


def test_render_markdown_iframe_and_style_are_text() -> None:
    html = render_markdown("<iframe src=https://evil.example></iframe><style>*{}</style>")
    assert re.findall(r"<iframe|<style", html) == []


def test_render_markdown_image_keeps_only_alt_text() -> None:
    assert render_markdown("![a chart](https://tracker.example/pixel.png)") == "<p>a chart</p>"


def test_render_markdown_data_image_dropped() -> None:
    html = render_markdown("![x](data:image/png;base64,iVBORw0KGgo=)")
    assert html == "<p>x</p>"


def test_render_markdown_html_comment_is_text() -> None:
    assert render_markdown("<!-- hidden -->") == "<p>&lt;!-- hidden --&gt;</p>"


def test_render_markdown_code_block_escaped() -> None:
    html = render_markdown("```\n<img src=x onerror=alert(1)>\n```")
    assert html == "<pre><code>&lt;img src=x onerror=alert(1)&gt;\n</code></pre>"


def test_render_markdown_javascript_scheme_in_text_neutralized() -> None:
    assert render_markdown("javascript:alert(1)") == "<p>javascript&#58;alert(1)</p>"


def test_render_markdown_arabic_text_unchanged() -> None:
    assert render_markdown("نحن الموقعين أدناه") == "<p>نحن الموقعين أدناه</p>"


def test_render_markdown_empty_text() -> None:
    assert render_markdown("") == ""


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=400))
def test_render_markdown_any_text_never_yields_script(text: str) -> None:
    assert re.findall(r"(?i)<script|javascript:", render_markdown(text)) == []


HOSTILE_PIECES = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<SCRIPT SRC=//x>",
        "javascript:",
        "JaVaScRiPt:",
        "java\tscript:",
        "&#106;",
        "&#x3A;",
        "&colon;",
        "[",
        "](",
        ")",
        "<",
        ">",
        '"',
        "onerror=",
        "![",
        "\n\n",
        "<a href=",
        "data:text/html,",
        "`",
        "    ",
        "\u202e",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(HOSTILE_PIECES, st.text(max_size=5)), max_size=30).map("".join))
def test_render_markdown_hostile_fragments_never_yield_script(text: str) -> None:
    html = render_markdown(text)
    assert re.findall(r"(?i)<script|javascript:", html) == []
    assert re.findall(r"(?i)<[a-z][^>]*\son\w+\s*=", html) == []


def test_markdown_summary_first_paragraph_as_plain_text() -> None:
    text = "# Title\n\nWe ask *leadership* to [act](https://x.example) `now`.\nToday.\n\nLater."
    assert markdown_summary(text) == "We ask leadership to act now. Today."


def test_markdown_summary_long_paragraph_cut_at_word() -> None:
    assert markdown_summary("word " * 100, max_length=20) == "word word word word…"


def test_markdown_summary_no_paragraph_is_empty() -> None:
    assert markdown_summary("# Only a heading") == ""
