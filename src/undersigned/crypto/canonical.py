"""Canonical JSON for log entries.

Every log leaf is the canonical JSON encoding of one entry, so two honest implementations must
produce the same bytes for the same entry. The encoding is UTF-8, object keys sorted, no
insignificant whitespace. It is a subset of RFC 8785 (JCS): floats are refused outright, and
integers are limited to the range every JSON parser reads exactly, so JCS and this module agree on
every value this module accepts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAX_SAFE_INTEGER",
    "CanonicalJSONError",
    "JSONValue",
    "canonical_json",
    "parse_canonical",
]

# I-JSON (RFC 7493) safe range: beyond it, JavaScript and other double-based parsers would round.
MAX_SAFE_INTEGER = 2**53 - 1

# Nesting guard so hostile input fails with our error instead of RecursionError.
_MAX_DEPTH = 64

JSONValue = None | bool | int | str | list["JSONValue"] | dict[str, "JSONValue"]


class CanonicalJSONError(ValueError):
    """The value cannot be encoded canonically, or the bytes are not in canonical form."""


def _sort_key(key: str) -> bytes:
    # RFC 8785 orders keys by UTF-16 code units; code-point order differs only for astral
    # characters, but matching JCS exactly costs nothing.
    return key.encode("utf-16-be", "surrogatepass")


def _encode_str(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalJSONError("string contains a lone surrogate") from exc
    # json.dumps with ensure_ascii=False escapes exactly what JCS escapes, in the same forms.
    return json.dumps(value, ensure_ascii=False)


def _encode(value: Any, out: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise CanonicalJSONError(f"nesting deeper than {_MAX_DEPTH}")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalJSONError(f"integer {value} is outside the safe range ±(2**53 - 1)")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise CanonicalJSONError("floats are not allowed in canonical JSON")
    elif isinstance(value, str):
        out.append(_encode_str(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out, depth + 1)
        out.append("]")
    elif isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalJSONError(f"object key {key!r} is not a string")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_sort_key)):
            if i:
                out.append(",")
            out.append(_encode_str(key))
            out.append(":")
            _encode(value[key], out, depth + 1)
        out.append("}")
    else:
        raise CanonicalJSONError(f"type {type(value).__name__} is not allowed in canonical JSON")


def canonical_json(obj: Any) -> bytes:
    """Encode ``obj`` (dicts with str keys, lists, str, int, bool, None) as canonical JSON."""
    out: list[str] = []
    _encode(obj, out, 0)
    return "".join(out).encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise CanonicalJSONError(f"{name} is not allowed in canonical JSON")


def _reject_float(text: str) -> Any:
    raise CanonicalJSONError(f"number {text} is not an integer")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise CanonicalJSONError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_canonical(data: bytes) -> dict[str, Any]:
    """Parse a canonical JSON object, rejecting anything that is not byte-for-byte canonical."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CanonicalJSONError("canonical JSON must be given as bytes")
    raw = bytes(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CanonicalJSONError("not valid UTF-8") from exc
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
        )
    except CanonicalJSONError:
        raise
    except RecursionError as exc:
        raise CanonicalJSONError("nesting too deep") from exc
    except ValueError as exc:
        raise CanonicalJSONError(f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise CanonicalJSONError("top-level value must be an object")
    # Re-encoding is the simplest complete check: whitespace, key order, escapes, number forms
    # (1E2, -0, 01) and lone surrogates all show up as a byte difference or an encoding error.
    if canonical_json(value) != raw:
        raise CanonicalJSONError("input is valid JSON but not in canonical form")
    return value
