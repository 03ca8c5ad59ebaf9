"""The delivered PDF: its text as pypdf extracts it, right-to-left text, rendering, scale."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from tests.delivery.helpers import ARABIC_LINE, ARABIC_TITLE, ROOT, document
from undersigned.delivery.pdf import Signatory, VersionRef, build_pdf
from undersigned.delivery.pdf_list import wrap
from undersigned.delivery.pdf_text import Block, markdown_blocks

PDFTOPPM = shutil.which("pdftoppm") or "pdftoppm"


def _lines(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [line for page in reader.pages for line in page.extract_text().splitlines()]


def test_pdf_text_names_counts_checkpoint_and_hashes() -> None:
    lines = _lines(build_pdf(document()))

    assert lines[:3] == ["To: The CEO", "Delivered on 2025-03-01 · http://testserver/l/demo/",
                         "Cancel the contract"]  # fmt: skip
    assert [line for line in lines if line.startswith(("Total:", "Public:", "Anonymous:"))] == [
        "Total: 10 verified signatures",
        "Public: 2",
        "Anonymous: 4",
    ]
    assert [line for line in lines if line.startswith("SHA-256")] == ["SHA-256 " + "ab" * 32]
    assert lines.count(ROOT) == 1
    assert [
        line for line in lines if "Lovelace" in line or "Hopper" in line or "Franklin" in line
    ] == [
        "Ada Lovelace — Engineer, London",
        "Grace Hopper",
        "Rosalind Franklin † — Chemist",
    ]


def test_pdf_groups_signatories_by_department_with_counts() -> None:
    lines = _lines(build_pdf(document()))

    start = lines.index("Named signatories")
    groups = [line for line in lines[start:] if line.endswith(")") and "(" in line]
    assert groups == ["Engineering (2)", "No department given (1)"]


def test_pdf_arabic_text_extracts_in_logical_order() -> None:
    lines = _lines(build_pdf(document()))

    assert lines.count(ARABIC_TITLE) == 1
    assert lines.count(ARABIC_LINE) == 1


def test_pdf_without_named_signers_says_so_in_each_copy() -> None:
    public = _lines(build_pdf(document(signatories=[])))
    private = _lines(build_pdf(document(signatories=[], recipient_copy=True, serial="5e")))

    footer = "demo · delivered 2025-03-01 · page 4"
    assert public[-2:] == ["No signer chose to be named publicly.", footer]
    assert private[-2:] == ["No signer chose to be named.", footer]


def test_pdf_recipient_copy_gives_the_public_copy_hash_and_its_serial() -> None:
    serial, public_sha256 = "5e" * 32, "cd" * 32
    private = _lines(build_pdf(document(recipient_copy=True, serial=serial,
                                        public_sha256=public_sha256)))  # fmt: skip
    public = _lines(build_pdf(document()))

    start = private.index("This is the recipient's copy. The public copy has the SHA-256:")
    assert private[start + 1 : start + 3] == [public_sha256, f"Serial of this copy: {serial}"]
    assert [line for line in public if line.startswith(("This is the recipient", "Serial"))] == []


def test_pdf_right_to_left_and_cjk_names_are_shaped_without_losing_text() -> None:
    people = [
        Signatory("ليلى حسن", "مهندسة", "", "القاهرة", public=True),
        Signatory("王小明", "", "", "", public=True),
        Signatory("नरेन्द्र", "", "", "", public=True),
        Signatory("Zoë 2 ليلى", "", "", "", public=True),  # mixed directions: the slow path
    ]
    lines = _lines(build_pdf(document(signatories=people)))

    start = lines.index("No department given (4)")
    assert len(lines[start + 1 : start + 5]) == 4
    assert "王小明" in lines[start + 1 : start + 5]


def test_pdf_long_entries_wrap_inside_their_column() -> None:
    title = "Staff Software Engineer, Infrastructure and Platform Reliability, Europe"
    people = [Signatory("Ada Lovelace", title, "", "القاهرة", public=True)]
    lines = _lines(build_pdf(document(signatories=people)))

    start = lines.index("No department given (1)")
    assert lines[start + 1 :][:2] == [
        "Ada Lovelace — Staff Software Engineer, Infrastructure and",
        "Platform Reliability, Europe, القاهرة",
    ]


def test_wrap_cuts_a_word_longer_than_the_line() -> None:
    assert wrap("ab " + "x" * 25, 10, len) == ["ab", "xxxxxxx", "xxxxxxx", "xxxxxxx", "xxxx"]


def test_markdown_blocks_keep_structure_and_link_addresses() -> None:
    blocks = markdown_blocks(
        "# Why\n\nSee [the report](https://example.org/r).\n\n1. one\n2. two\n\n> said\n\n---\n"
    )

    assert blocks == [
        Block("heading", "Why", level=1),
        Block("paragraph", "See the report (https://example.org/r)."),
        Block("item", "one", level=1, marker="1."),
        Block("item", "two", level=1, marker="2."),
        Block("quote", "said", level=1),
        Block("rule", ""),
    ]


def test_pdf_pages_render_to_png(tmp_path: Path) -> None:
    pdf = build_pdf(document())
    (tmp_path / "letter.pdf").write_bytes(pdf)

    subprocess.run(
        [PDFTOPPM, "-r", "60", "-png", str(tmp_path / "letter.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )

    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(PdfReader(io.BytesIO(pdf)).pages)
    for path in pages:
        with Image.open(path) as image:
            darkest, _ = image.convert("L").getextrema()
            assert (image.size, darkest < 64) == ((497, 702), True)


def test_pdf_of_many_named_signatories_lists_every_one() -> None:
    # The 100,000-signatory time and memory are measured by `make bench` (bench/pdf.py).
    people = [
        Signatory(f"Person {n} Lastname", "", f"Dept {n % 7}", "", public=True) for n in range(3000)
    ]
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(build_pdf(document(signatories=people)))).pages
    )

    assert [f"Person {n} Lastname" in text for n in (0, 1499, 2999)] == [True, True, True]


def test_pdf_of_an_amended_letter_lists_versions_with_counts_and_hashes() -> None:
    versions = [
        VersionRef(2, date(2025, 2, 10), "Demand 2 now names the contract.", "cd" * 32, 7),
        VersionRef(1, date(2025, 2, 1), "", "ef" * 32, 3),
    ]
    lines = _lines(build_pdf(document(versions=versions)))
    assert lines[2] == (
        "This is version 2 of the text, in effect since 2025-02-10; the versions are listed "
        "with the counts."
    )
    start = lines.index("By version of the text")
    assert lines[start + 3 : start + 8] == [
        "Version 2 (2025-02-10): 7",
        "Demand 2 now names the contract.",
        "SHA-256 " + "cd" * 32,
        "Version 1 (2025-02-01): 3",
        "SHA-256 " + "ef" * 32,
    ]
