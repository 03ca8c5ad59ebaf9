"""The delivered letter as a PDF: a pure function from a DeliveryDocument to bytes (no Django).

fpdf2 lays the text out; uharfbuzz shapes it (Arabic letters joined, marks placed) and fpdf2's
bidi algorithm orders right-to-left runs, so text is stored in logical order and extracts that
way. The fonts ship with the package (undersigned/fonts), so the output does not depend on what
the server has installed.

A letter can carry 100,000 named signatories, to be built within a minute and 500 MB (docs/design.md
section 10). Shaping one line costs about a millisecond, so names that need no shaping (Latin,
Greek and Cyrillic the main font covers) are drawn directly, and only the others are shaped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode

from undersigned.delivery.pdf_list import SignatoryColumns
from undersigned.delivery.pdf_text import Block, markdown_blocks

# fontTools logs every table of every font subset at INFO: hundreds of lines per PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
_FONT_FILES: dict[str, tuple[str, str]] = {
    "sans": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "naskh": ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
    "hebrew": ("NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf"),
    "deva": ("NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
    "dejavu": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    # No bold cut exists; headings in these scripts use the regular one.
    "cjk": ("DroidSansFallbackFull.ttf", "DroidSansFallbackFull.ttf"),
}
_LANGUAGE_FONTS = {
    "ar": "naskh",
    "fa": "naskh",
    "ur": "naskh",
    "he": "hebrew",
    "hi": "deva",
    "ja": "cjk",
    "ko": "cjk",
    "zh": "cjk",
}
# Loading the CJK font takes a second, so it is loaded only for documents that need it.
_CJK = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")

_MARGIN = 18.0
_BODY = 10.5
_LINE = 5.4
_GREY = (90, 90, 90)


@dataclass(frozen=True, slots=True)
class LetterText:
    """The letter in one language: title, Markdown body, and its demands in that language."""

    language: str
    rtl: bool
    title: str
    body: str
    demands: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddendumRef:
    title: str
    language: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Signatory:
    name: str
    title: str
    department: str
    location: str
    public: bool  # False: named to the recipient only


@dataclass(frozen=True)
class DeliveryDocument:
    slug: str
    recipient_name: str
    delivered_on: date
    letter_url: str
    texts: Sequence[LetterText]  # the letter's own language first
    addenda: Sequence[AddendumRef]
    tier_counts: Sequence[tuple[str, int]]  # (label, count) as the checkpoint says
    total: int
    threshold: int  # k: breakdowns name only groups of at least k signers
    departments: Sequence[tuple[str, int]]
    small_groups: int
    checkpoint: str  # the signed note the counts come from
    log_url: str
    vkey: str
    signatories: Sequence[Signatory]
    # Only for an amended letter: (number, date, note, text hash, live count), newest first.
    versions: Sequence[VersionRef] = ()
    # The recipient's copy names recipient-tier signers (marked †); the public copy does not.
    # Its serial, random, keeps its SHA-256 (public in the log) from being recomputed by anyone
    # guessing who those signers are. It also gives the public copy's SHA-256.
    recipient_copy: bool = False
    serial: str = ""
    public_sha256: str = ""

    @property
    def version_note(self) -> str:
        if len(self.versions) < 2:
            return ""
        newest = self.versions[0]
        return (
            f"This is version {newest.number} of the text, in effect since "
            f"{newest.created_on.isoformat()}; the versions are listed with the counts."
        )


@dataclass(frozen=True)
class VersionRef:
    number: int
    created_on: date
    note: str
    text_hash: str
    count: int


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("sans", "", 7.5)
        self.set_text_color(*_GREY)
        self.text(_MARGIN, self.h - 8, f"{self.footer_text} · page {self.page_no()}")
        self.set_text_color(0)


def build_pdf(document: DeliveryDocument) -> bytes:
    """The delivered letter: texts, demands, addenda, counts, verification, named signatories."""
    pdf = _Pdf(format="A4")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.footer_text = f"{document.slug} · delivered {document.delivered_on.isoformat()}"
    pdf.set_title(document.texts[0].title if document.texts else document.slug)
    pdf.set_creator("undersigned")
    pdf.set_creation_date(_midnight(document.delivered_on))
    _load_fonts(pdf, cjk=_needs_cjk(document))
    pdf.set_text_shaping(use_shaping_engine=True)
    for number, text in enumerate(document.texts):
        pdf.add_page()
        _letter(pdf, document, text, first=number == 0)
    pdf.add_page()
    _addenda(pdf, document.addenda)
    _counts(pdf, document)
    _verification(pdf, document)
    _signatories(pdf, document)
    return bytes(pdf.output())


def _midnight(day: date) -> datetime:
    # A date, not a time: the PDF must not say when in the day it was built.
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _needs_cjk(document: DeliveryDocument) -> bool:
    strings: Iterable[str] = (
        s
        for group in (
            (t.title + t.body + "".join(t.demands) for t in document.texts),
            (a.title for a in document.addenda),
            (d for d, _ in document.departments),
            (s.name + s.title + s.department + s.location for s in document.signatories),
        )
        for s in group
    )
    return any(_CJK.search(s) for s in strings)


def _load_fonts(pdf: FPDF, *, cjk: bool) -> None:
    for family, (regular, bold) in _FONT_FILES.items():
        if family == "cjk" and not cjk:
            continue
        pdf.add_font(family, "", str(FONT_DIR / regular))
        pdf.add_font(family, "B", str(FONT_DIR / bold))
    fallbacks = ["naskh", "hebrew", "deva", *(["cjk"] if cjk else []), "dejavu"]
    pdf.set_fallback_fonts(fallbacks, exact_match=False)


def _font(language: str) -> str:
    return _LANGUAGE_FONTS.get(language, "sans")


def _direction(pdf: FPDF, rtl: bool | None) -> str:
    """Sets the paragraph direction for shaped text; returns the matching alignment."""
    pdf.set_text_shaping(
        use_shaping_engine=True, direction=None if rtl is None else ("rtl" if rtl else "ltr")
    )
    return "R" if rtl else "L"


def _para(pdf: FPDF, text: str, *, size: float = _BODY, style: str = "", family: str = "sans",
          rtl: bool | None = False, indent: float = 0.0, line: float = _LINE,
          wrap: WrapMode = WrapMode.WORD) -> None:  # fmt: skip
    align = _direction(pdf, rtl)
    pdf.set_font(family, style, size)
    width = pdf.epw - indent
    pdf.set_x(pdf.l_margin + (0 if rtl else indent))
    pdf.multi_cell(width, line, text, align=align, new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)


def _heading(pdf: FPDF, text: str, size: float = 13.0) -> None:
    pdf.ln(3)
    _para(pdf, text, size=size, style="B", line=size * 0.5)
    pdf.ln(1)


def _letter(pdf: FPDF, document: DeliveryDocument, text: LetterText, *, first: bool) -> None:
    family = _font(text.language)
    if first:
        _para(pdf, f"To: {document.recipient_name}", size=9.5, rtl=None)
        _para(pdf, f"Delivered on {document.delivered_on.isoformat()} · {document.letter_url}",
              size=9.5)  # fmt: skip
        if document.version_note:
            _para(pdf, document.version_note, size=9.5)
        pdf.ln(4)
    else:
        _para(pdf, f"Translation ({text.language})", size=9.5)
        pdf.ln(2)
    _para(pdf, text.title, size=18, style="B", family=family, rtl=text.rtl, line=9)
    pdf.ln(3)
    for block in markdown_blocks(text.body):
        _block(pdf, block, family=family, rtl=text.rtl)
    if text.demands:
        pdf.ln(2)
        _para(pdf, "Demands", size=13, style="B", family="sans", line=7)
        for number, demand in enumerate(text.demands, start=1):
            _para(pdf, f"{number}. {demand}", family=family, rtl=text.rtl, indent=4)
            pdf.ln(1)


def _block(pdf: FPDF, block: Block, *, family: str, rtl: bool) -> None:
    if block.kind == "heading":
        size = max(11.0, 15.0 - block.level)
        pdf.ln(2)
        _para(pdf, block.text, size=size, style="B", family=family, rtl=rtl, line=size * 0.5)
    elif block.kind == "item":
        marker = f"{block.marker} " if block.marker else ""
        _para(pdf, marker + block.text, family=family, rtl=rtl, indent=5.0 * block.level)
    elif block.kind == "quote":
        _para(pdf, block.text, family=family, rtl=rtl, indent=6.0 * block.level)
    elif block.kind == "code":
        _para(pdf, block.text, size=9, family="dejavu", rtl=False, indent=4, line=4.6,
              wrap=WrapMode.CHAR)  # fmt: skip
    elif block.kind == "rule":
        y = pdf.get_y() + 2
        pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
        pdf.set_y(y + 2)
        return
    else:
        _para(pdf, block.text, family=family, rtl=rtl)
    pdf.ln(2)


def _addenda(pdf: FPDF, addenda: Sequence[AddendumRef]) -> None:
    if not addenda:
        return
    _heading(pdf, "Supporting documents")
    _para(pdf, "Each document's SHA-256 lets anyone check that a copy is the one attached to "
          "the letter.", size=9)  # fmt: skip
    for item in addenda:
        pdf.ln(1)
        _para(pdf, f"{item.title} ({item.language}, {item.size:,} bytes)", rtl=None)
        _para(pdf, f"SHA-256 {item.sha256}", size=8.5, family="dejavu", wrap=WrapMode.CHAR)


def _counts(pdf: FPDF, document: DeliveryDocument) -> None:
    _heading(pdf, "Signatures")
    _para(pdf, f"Total: {document.total:,} verified signatures", style="B")
    for label, count in document.tier_counts:
        _para(pdf, f"{label}: {count:,}", indent=4)
    if document.departments or document.small_groups:
        pdf.ln(2)
        _para(pdf, "By department", style="B")
        _para(pdf, f"Only departments with at least {document.threshold} signers are named, so "
              "that nobody can be picked out.", size=9)  # fmt: skip
        for label, count in document.departments:
            _para(pdf, f"{label}: {count:,}", indent=4, rtl=None)
        if document.small_groups:
            _para(pdf, f"{document.small_groups:,} smaller groups are not named.", indent=4)
    if len(document.versions) > 1:
        pdf.ln(2)
        _para(pdf, "By version of the text", style="B")
        explained = (
            "The text was amended while open; each signature counts for the version its signer "
            "read. Each version's SHA-256 is the one its log entry records."
        )
        _para(pdf, explained, size=9)
        for version in document.versions:
            day = version.created_on.isoformat()
            _para(pdf, f"Version {version.number} ({day}): {version.count:,}", indent=4)
            if version.note:
                _para(pdf, version.note, indent=8, size=9, rtl=None)
            _para(pdf, f"SHA-256 {version.text_hash}", indent=8, size=8.5, family="dejavu")


def _verification(pdf: FPDF, document: DeliveryDocument) -> None:
    _heading(pdf, "How to verify these counts")
    _para(pdf, "The counts above come from this signed checkpoint of the letter's public, "
          "append-only log. Each signature is an entry in the log; withdrawals and removals "
          "are entries too, so the count cannot change without a trace.", size=9.5)  # fmt: skip
    pdf.ln(1)
    _para(pdf, document.checkpoint.rstrip("\n"), size=8.5, family="dejavu", indent=4, line=4.4,
          wrap=WrapMode.CHAR)  # fmt: skip
    pdf.ln(1)
    _para(pdf, f"Log: {document.log_url}", size=9.5, wrap=WrapMode.CHAR)
    _para(pdf, f"Verifier key: {document.vkey}", size=9.5, wrap=WrapMode.CHAR)
    _para(pdf, "To check the log, its signature and the count yourself, run:", size=9.5)
    _para(pdf, f"undersigned verify {document.log_url} --key {document.vkey}", size=8.5,
          family="dejavu", indent=4, line=4.4, wrap=WrapMode.CHAR)  # fmt: skip
    _para(pdf, "The next entry in the log records this delivery with the SHA-256 of both copies "
          "of this PDF: the recipient's, and the public one, which leaves out the names only the "
          "recipient may read.", size=9.5)  # fmt: skip
    if document.recipient_copy:
        pdf.ln(1)
        _para(pdf, "This is the recipient's copy. The public copy has the SHA-256:", size=9.5)
        _para(pdf, document.public_sha256, size=8.5, family="dejavu", indent=4, wrap=WrapMode.CHAR)
        _para(pdf, f"Serial of this copy: {document.serial}", size=8.5, family="dejavu",
              wrap=WrapMode.CHAR)  # fmt: skip


def _signatories(pdf: FPDF, document: DeliveryDocument) -> None:
    signatories = document.signatories
    pdf.add_page()
    _heading(pdf, "Named signatories")
    if document.recipient_copy:
        _para(pdf, "Signers who chose to be named, grouped by department. Names marked † asked "
              "to be named to the recipient only: they are not in the public copy of this "
              "letter. Everyone else is counted above and never named.", size=9)  # fmt: skip
    else:
        _para(pdf, "Signers who chose to be named publicly, grouped by department. Signers who "
              "asked to be named to the recipient only are named in the recipient's copy alone. "
              "Everyone else is counted above and never named.", size=9)  # fmt: skip
    pdf.ln(2)
    if not signatories:
        named = "named" if document.recipient_copy else "named publicly"
        _para(pdf, f"No signer chose to be {named}.", size=9.5)
        return
    SignatoryColumns(pdf).write(_grouped(signatories))


def _grouped(signatories: Sequence[Signatory]) -> list[tuple[str, list[Signatory]]]:
    groups: dict[str, tuple[str, list[Signatory]]] = {}
    for person in signatories:
        key = person.department.casefold()
        groups.setdefault(key, (person.department, []))[1].append(person)
    ordered = sorted(groups.items(), key=lambda item: (item[0] == "", item[0]))
    return [
        (label or "No department given", sorted(people, key=lambda p: p.name.casefold()))
        for _, (label, people) in ordered
    ]
