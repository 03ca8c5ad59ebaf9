"""Canonical JSON: exact encodings, refusals, and round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from undersigned.crypto.canonical import (
    MAX_SAFE_INTEGER,
    CanonicalJSONError,
    canonical_json,
    parse_canonical,
)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), children, max_size=4)
    ),
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), json_values)


def test_canonical_json_sorts_keys_without_whitespace() -> None:
    entry = {"type": "signature", "index": 3, "tier": None, "ok": True, "list": [1, "a", False]}
    assert canonical_json(entry) == (
        b'{"index":3,"list":[1,"a",false],"ok":true,"tier":null,"type":"signature"}'
    )


def test_canonical_json_nested_objects_sorted_at_every_level() -> None:
    assert canonical_json({"b": {"z": 1, "a": 2}, "a": [{"y": 0, "x": 0}]}) == (
        b'{"a":[{"x":0,"y":0}],"b":{"a":2,"z":1}}'
    )


def test_canonical_json_non_ascii_is_raw_utf8() -> None:
    assert canonical_json({"name": "Zoë €"}) == '{"name":"Zoë €"}'.encode()


def test_canonical_json_control_characters_use_jcs_escapes() -> None:
    assert canonical_json({"s": '\n\t\x01\x1f"\\/\x7f'}) == (
        b'{"s":"\\n\\t\\u0001\\u001f\\"\\\\/\x7f"}'
    )


def test_canonical_json_keys_sorted_by_utf16_code_units() -> None:
    # U+E000 sorts after U+1F600 in UTF-16 (0xE000 > 0xD83D) though not by code point.
    assert canonical_json({"\ue000": 1, "\U0001f600": 2}) == (
        '{"\U0001f600":2,"\ue000":1}'.encode()
    )


def test_canonical_json_tuple_encodes_as_array() -> None:
    assert canonical_json({"a": (1, 2)}) == b'{"a":[1,2]}'


@pytest.mark.parametrize(
    "value",
    [
        {"x": 1.5},
        {"x": 1.0},
        {"x": float("nan")},
        {"x": float("inf")},
        {1: "non-str key"},
        {"x": "\ud800"},
        {"\udfff": 1},
        {"x": MAX_SAFE_INTEGER + 1},
        {"x": -MAX_SAFE_INTEGER - 1},
        {"x": b"bytes"},
        {"x": {1, 2}},
    ],
    ids=repr,
)
def test_canonical_json_unencodable_value_rejected(value: Any) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)


def test_canonical_json_deep_nesting_rejected() -> None:
    value: Any = 0
    for _ in range(100):
        value = [value]
    with pytest.raises(CanonicalJSONError):
        canonical_json({"x": value})


def test_parse_canonical_accepts_canonical_object() -> None:
    assert parse_canonical(b'{"a":[1,-2,"\\u0001"],"b":null}') == {"a": [1, -2, "\x01"], "b": None}


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}',
        b'{"a":1} ',
        b'{"b":1,"a":2}',
        b'{"a":1,"a":1}',
        b'{"a":1.0}',
        b'{"a":1e2}',
        b'{"a":-0}',
        b'{"a":01}',
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":"\\u0061"}',
        b'{"a":"\\/"}',
        b'{"a":"\\u001F"}',
        b'{"a":"\\ud800"}',
        b'{"a":9007199254740992}',
        b"\xef\xbb\xbf{}",
        b'{"a":"\xff"}',
        b"[1,2]",
        b'"text"',
        b"",
        b"{",
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=repr,
)
def test_parse_canonical_non_canonical_input_rejected(data: bytes) -> None:
    with pytest.raises(CanonicalJSONError):
        parse_canonical(data)


def test_parse_canonical_str_input_rejected() -> None:
    with pytest.raises(CanonicalJSONError):
        parse_canonical('{"a":1}')  # type: ignore[arg-type]


@given(json_objects)
def test_canonical_json_round_trips(obj: dict[str, Any]) -> None:
    encoded = canonical_json(obj)
    assert parse_canonical(encoded) == obj
    assert json.loads(encoded) == obj


@given(json_objects)
def test_canonical_json_is_independent_of_insertion_order(obj: dict[str, Any]) -> None:
    reordered = dict(reversed(list(obj.items())))
    assert canonical_json(reordered) == canonical_json(obj)


@given(json_objects)
def test_parse_canonical_rejects_pretty_printed_form(obj: dict[str, Any]) -> None:
    pretty = json.dumps(obj, indent=1, ensure_ascii=False).encode()
    if pretty == canonical_json(obj):
        assert parse_canonical(pretty) == obj
    else:
        with pytest.raises(CanonicalJSONError):
            parse_canonical(pretty)
