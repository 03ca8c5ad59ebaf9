from __future__ import annotations

import pytest

from undersigned.signing.export import csv_cell, csv_lines


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Ana", "Ana"),
        ("", ""),
    ],
)
def test_csv_cell_defuses_formulas(value: str, safe: str) -> None:
    assert csv_cell(value) == safe


def test_csv_lines_header_then_rows() -> None:
    lines = list(csv_lines(("a", "b"), [{"a": "x,y", "b": "=1"}]))

    assert lines == ["a,b\r\n", '"x,y",\'=1\r\n']
