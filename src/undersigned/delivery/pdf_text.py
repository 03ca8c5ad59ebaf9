"""Organizer Markdown turned into plain blocks for the PDF (no Django, no HTML).

The PDF shows the words and the structure (headings, paragraphs, lists, quotes, code), not the
inline emphasis; links keep their address next to their text, since paper cannot be clicked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # "heading", "paragraph", "item", "quote", "code" or "rule"
    text: str
    level: int = 0  # heading level, or list depth for items
    marker: str = ""  # "•" or "3." for list items


def markdown_blocks(text: str) -> list[Block]:
    tokens = _PARSER.parse(text)
    blocks: list[Block] = []
    lists: list[list[int]] = []  # per open list: [ordered, next number]
    quote = 0
    pending_marker = ""
    for position, token in enumerate(tokens):
        kind = token.type
        if kind in {"bullet_list_open", "ordered_list_open"}:
            start = int(token.attrGet("start") or 1)
            lists.append([kind == "ordered_list_open", start])
        elif kind in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
        elif kind == "list_item_open" and lists:
            ordered, number = lists[-1]
            pending_marker = f"{number}." if ordered else "•"
            lists[-1][1] = number + 1
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "hr":
            blocks.append(Block("rule", ""))
        elif kind in {"fence", "code_block"}:
            blocks.append(Block("code", token.content.rstrip("\n")))
        elif kind == "inline":
            words = inline_text(token.children or [])
            opener = tokens[position - 1].type if position else ""
            if opener == "heading_open":
                blocks.append(Block("heading", words, level=int(tokens[position - 1].tag[1])))
            elif pending_marker:
                blocks.append(Block("item", words, level=len(lists), marker=pending_marker))
                pending_marker = ""
            elif lists:
                blocks.append(Block("item", words, level=len(lists)))
            elif quote:
                blocks.append(Block("quote", words, level=quote))
            else:
                blocks.append(Block("paragraph", words))
    return [block for block in blocks if block.text or block.kind == "rule"]


def inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    href = ""
    link_start = 0
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(inline_text(child.children or []))
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            link_start = len(parts)
        elif child.type == "link_close":
            label = "".join(parts[link_start:])
            if href and href != label and href.startswith(("http://", "https://", "mailto:")):
                parts.append(f" ({href.removeprefix('mailto:')})")
            href = ""
    return "".join(parts).strip()
