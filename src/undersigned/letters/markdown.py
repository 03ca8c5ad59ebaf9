"""Markdown written by organizers, turned into HTML that is safe to put on a public page.

Two independent layers: markdown-it with raw HTML disabled decides the structure, then nh3 (an
allowlist sanitizer) removes anything outside that structure. Either one alone would stop today's
known tricks; both together mean a bug in one of them is not yet an injection.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

_ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
        "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_LINK_REL = "nofollow noopener noreferrer"
# Harmless in a text node, but a consumer of the HTML (an email client, a careless widget) might
# match on it; the entity displays the same and decodes to the same attribute value.
_SCRIPT_SCHEME = re.compile(r"(?i)((?:java|vb)script):")


def _heading_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # The page's <h1> is the letter's title, so the body's outline starts one level below it.
    level = min(int(tokens[idx].tag[1]) + 1, 6)
    return f"<h{level}>"


def _heading_close(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    level = min(int(tokens[idx].tag[1]) + 1, 6)
    return f"</h{level}>\n"


def _image(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # An image from elsewhere would tell its host who reads the letter: keep only the words.
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or [])
    return html.escape(alt, quote=False)


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    rules: dict[str, Any] = {
        "heading_open": _heading_open,
        "heading_close": _heading_close,
        "image": _image,
    }
    for name, rule in rules.items():
        parser.add_render_rule(name, rule)
    return parser


_PARSER = _parser()


@dataclass(frozen=True)
class _Rendered:
    html: SafeString
    first_paragraph: str


# Parsing is the slow part (seconds for a hostile 50,000-character body), so each text is parsed
# once per process, for both its HTML and its summary.
@functools.lru_cache(maxsize=256)
def _render(text: str) -> _Rendered:
    tokens = _PARSER.parse(text)
    cleaned = nh3.clean(
        _PARSER.renderer.render(tokens, _PARSER.options, {}),
        tags=set(_ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        url_relative="deny",
        link_rel=_LINK_REL,
        strip_comments=True,
    )
    html = mark_safe(_SCRIPT_SCHEME.sub(r"\1&#58;", cleaned).strip())  # noqa: S308 -- sanitized
    return _Rendered(html=html, first_paragraph=_first_paragraph(tokens))


def render_markdown(text: str) -> SafeString:
    """Organizer Markdown (CommonMark, no raw HTML) as sanitized HTML, ready for a template."""
    return _render(text).html


def markdown_summary(text: str, *, max_length: int = 200) -> str:
    """The first paragraph as plain text (for link previews), cut at a word near max_length."""
    return _shorten(_render(text).first_paragraph, max_length)


def _first_paragraph(tokens: Sequence[Token]) -> str:
    for position, token in enumerate(tokens[:-1]):
        if token.type != "paragraph_open":
            continue
        words = " ".join(_plain(tokens[position + 1].children or []).split())
        if words:
            return words
    return ""


def _plain(children: Sequence[Token]) -> str:
    parts = []
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain(child.children or []))
    return "".join(parts)


def _shorten(words: str, max_length: int) -> str:
    if len(words) <= max_length:
        return words
    head = words[:max_length]
    cut = head.rsplit(" ", 1)[0] if " " in head else head[: max_length - 1]
    return cut.rstrip() + "…"
