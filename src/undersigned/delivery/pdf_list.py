"""The list of named signatories in the delivered PDF: two columns, fast enough for 100,000.

Drawing a line through fpdf2's cell() costs about a millisecond (bidi analysis, fragments,
graphics state), a hundred seconds for a large letter. So each entry is cut into its pieces
(name, title, location and the separators) and each piece takes the cheapest correct path:
- text in scripts that need no shaping (Latin, Greek, Cyrillic in the main font) is drawn as is;
- text in one font and one direction (an Arabic, Hebrew, Devanagari or CJK name) is shaped by
  harfbuzz through fpdf2's font object and drawn glyph by glyph, as fpdf2 itself would;
- anything else (a name mixing directions, digits inside Arabic) goes through cell(), which
  runs the full bidi algorithm.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from fpdf import FPDF
from fpdf.enums import TextDirection
from fpdf.fonts import TTFFont

if TYPE_CHECKING:
    from undersigned.delivery.pdf import Signatory

_GAP = 8.0
_SIZE = 8.0
_LINE = 3.9
_INDENT = 3.0
_BASELINE = _LINE * 0.78
# Scripts drawn without shaping: each character is one glyph, left to right, no marks.
_UNSHAPED = re.compile(
    "["
    "\u0020-\u007e\u00a0-\u024f"  # Latin
    "\u0370-\u03ff"  # Greek
    "\u0400-\u0482\u048a-\u04ff"  # Cyrillic without its combining marks
    "\u1e00-\u1eff"  # Latin Extended Additional
    "\u2010-\u2027\u2030-\u205e"  # punctuation
    "]*"
)
_SPACES = re.compile("( )")
_RTL_CLASSES = frozenset({"R", "AL"})
_FOLLOWERS = frozenset({"NSM", "WS"})
# The fonts that may draw a shaped piece, in fallback order.
_SHAPING_FONTS = ("sans", "naskh", "hebrew", "deva", "cjk", "dejavu")

# A piece ready to draw: ("plain", text, width) or ("run", (font family, glyphs), width).
Piece = tuple[str, Any, float]


class SignatoryColumns:
    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.width = (pdf.epw - _GAP) / 2
        self.column = 0
        self.top = pdf.get_y()
        self.y = self.top
        self.bottom = pdf.h - pdf.b_margin
        # Page breaks are decided here, per column; fpdf2's own would break the layout.
        pdf.set_auto_page_break(auto=False)
        pdf.c_margin = 0
        pdf.set_font("sans", "", _SIZE)
        self.main = _ttf(pdf.current_font)
        self.scale = _SIZE * 0.001 / pdf.k
        self.fonts = [(name, _ttf(pdf.fonts[name])) for name in _SHAPING_FONTS if name in pdf.fonts]
        self.runs: dict[str, tuple[str, bool] | None] = {}

    def write(self, groups: Sequence[tuple[str, Sequence[Signatory]]]) -> None:
        for label, people in groups:
            self._need(_LINE * 3)
            self.y += 1.5
            self._cells(f"{label} ({len(people):,})", style="B")
            for person in people:
                self._entry(person)

    # ---- layout ----

    def _x(self) -> float:
        return self.pdf.l_margin + self.column * (self.width + _GAP)

    def _need(self, height: float) -> None:
        if self.y + height <= self.bottom:
            return
        if self.column == 0:
            self.column = 1
        else:
            self.pdf.add_page()
            self.column = 0
            self.top = self.pdf.t_margin
        self.y = self.top

    def _entry(self, person: Signatory) -> None:
        parts = [person.name, "" if person.public else " †"]
        details = ", ".join(part for part in (person.title, person.location) if part)
        if details:
            parts += [" — ", *_join(person.title, person.location)]
        pieces: list[Piece] = []
        for text in parts:
            piece = self._piece(text) if text else None
            if text and piece is None:
                self._cells("".join(parts))
                return
            if piece is not None:
                pieces.append(piece)
        lines = self._flow(pieces)
        if lines is None:
            self._cells("".join(parts))
            return
        self._need(_LINE * len(lines))
        for number, line in enumerate(lines):
            start = self._x() + (_INDENT if number else 0.0)
            for piece, offset in line:
                self._draw(piece, start + offset)
            self.y += _LINE

    def _flow(self, pieces: list[Piece]) -> list[list[tuple[Piece, float]]] | None:
        """Pieces placed on lines; plain text breaks between words. None if a word cannot fit."""
        lines: list[list[tuple[Piece, float]]] = [[]]
        x, limit = 0.0, self.width
        for piece in pieces:
            kind, value, width = piece
            if x + width <= limit:
                lines[-1].append((piece, x))
                x += width
                continue
            tokens: list[Piece] = (
                [("plain", t, self._plain_width(t)) for t in _SPACES.split(value) if t]
                if kind == "plain"
                else [piece]
            )
            for token in tokens:
                if x + token[2] > limit and x > 0:
                    lines.append([])
                    x, limit = 0.0, self.width - _INDENT
                    if token[1] == " ":
                        continue
                if token[2] > limit:
                    return None
                lines[-1].append((token, x))
                x += token[2]
        return [_merged(line) for line in lines]

    # ---- pieces ----

    def _piece(self, text: str) -> Piece | None:
        if _UNSHAPED.fullmatch(text) is not None and all(ord(c) in self.main.cmap for c in text):
            return ("plain", text, self._plain_width(text))
        run = self._run(text)
        if run is None:
            return None
        family, rtl = run
        font = _ttf(self.pdf.fonts[family])
        direction = TextDirection.RTL if rtl else TextDirection.LTR
        params = {"features": {}, "fragment_direction": direction, "script": None, "language": None}
        glyphs = font.shape_text(text, _SIZE, params)
        width = sum(glyph["x_advance"] for glyph in glyphs) * font.scale * self.scale
        return ("run", (family, glyphs), width)

    def _run(self, text: str) -> tuple[str, bool] | None:
        """(font, right to left) if the text is one font and one direction; cached per text."""
        if text in self.runs:
            return self.runs[text]
        classes = {unicodedata.bidirectional(c) for c in text}
        if classes & _RTL_CLASSES:
            rtl = True
            allowed = _RTL_CLASSES | _FOLLOWERS
        else:
            rtl = False
            allowed = frozenset({"L"}) | _FOLLOWERS
        found = None
        if classes <= allowed and text == text.strip():
            letters = [ord(c) for c in text if c != " "]
            found = next(
                (
                    (name, rtl)
                    for name, font in self.fonts
                    if all(code in font.cmap for code in letters)
                ),
                None,
            )
        self.runs[text] = found
        return found

    def _plain_width(self, text: str) -> float:
        widths = self.main.cw
        return sum(widths[ord(c)] for c in text) * self.scale

    # ---- drawing ----

    def _draw(self, piece: Piece, x: float) -> None:
        pdf = self.pdf
        kind, value, _ = piece
        if kind == "plain":
            pdf.set_font("sans", "", _SIZE)
            pdf.text(x, self.y + _BASELINE, value)
            return
        family, glyphs = value
        pdf.set_font(family, "", _SIZE)
        font = _ttf(pdf.current_font)
        if not pdf.current_font_is_set_on_page:
            pdf._out(pdf._set_font_for_page(font, pdf.font_size_pt))
        pdf._out(_glyph_ops(pdf, font, glyphs, x, self.y + _BASELINE))

    def _cells(self, text: str, style: str = "") -> None:
        """The general path: fpdf2's bidi algorithm, font fallback and shaping."""
        pdf = self.pdf
        # The list reads left to right; a right-to-left name is one run inside its line.
        pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
        pdf.set_font("sans", style, _SIZE)
        lines = wrap(text, self.width, pdf.get_string_width)
        self._need(_LINE * len(lines))
        for number, line in enumerate(lines):
            pdf.set_xy(self._x() + (_INDENT if number else 0.0), self.y)
            pdf.cell(self.width, _LINE, line)
            self.y += _LINE
        pdf.set_font("sans", "", _SIZE)


def _merged(line: list[tuple[Piece, float]]) -> list[tuple[Piece, float]]:
    """Adjacent plain words drawn as one string; no space left dangling at the line's end."""
    merged: list[tuple[Piece, float]] = []
    for piece, offset in line:
        if merged and piece[0] == "plain" and merged[-1][0][0] == "plain":
            (_, text, width), start = merged[-1]
            merged[-1] = (("plain", text + piece[1], width + piece[2]), start)
        else:
            merged.append((piece, offset))
    if merged and merged[-1][0][0] == "plain" and merged[-1][0][1].endswith(" "):
        (_, text, width), start = merged[-1]
        merged[-1] = (("plain", text.rstrip(" "), width), start)
    return merged


def _join(title: str, location: str) -> list[str]:
    if title and location:
        return [title, ", ", location]
    return [title or location]


def _ttf(font: object) -> TTFFont:
    if not isinstance(font, TTFFont):  # every font here is one of the shipped TrueType files
        raise TypeError(f"expected a TrueType font, got {font!r}")
    return font


def _glyph_ops(pdf: FPDF, font: TTFFont, glyphs: Sequence[dict[str, Any]], x: float,
               baseline: float) -> str:  # fmt: skip
    """PDF text operators for shaped glyphs, in the form fpdf2's own shaped fragments take."""
    k = pdf.k
    scale = font.scale * pdf.font_size_pt / 1000 / k
    y = pdf.h - baseline
    ops = [f"BT 1 0 0 1 {x * k:.2f} {y * k:.2f} Tm"]
    run = ""
    position = x
    for glyph in glyphs:
        if glyph["mapped_char"] is None:
            continue
        char = font.escape_text(chr(glyph["mapped_char"]))
        if glyph["x_offset"] or glyph["y_offset"]:
            if run:
                ops.append(f"({run}) Tj")
                run = ""
            dx = (position + glyph["x_offset"] * scale) * k
            dy = (y + glyph["y_offset"] * scale) * k
            ops.append(f"1 0 0 1 {dx:.2f} {dy:.2f} Tm")
        run += char
        position += glyph["x_advance"] * scale
        if glyph["force_positioning"]:
            if run:
                ops.append(f"({run}) Tj")
                run = ""
            ops.append(f"1 0 0 1 {position * k:.2f} {y * k:.2f} Tm")
    if run:
        ops.append(f"({run}) Tj")
    ops.append("ET")
    return " ".join(ops)


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy word wrap; continuation lines are indented, a word too long is cut."""
    if measure(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        limit = width - (_INDENT if lines else 0.0)
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while measure(current) > width - _INDENT and len(current) > 1:
            cut = _fit(current, width - _INDENT, measure)
            lines.append(current[:cut])
            current = current[cut:]
    lines.append(current)
    return lines


def _fit(word: str, width: float, measure: Callable[[str], float]) -> int:
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low
