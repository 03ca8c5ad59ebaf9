"""The entries of a letter's public log: how they are built, and the strict parser verifiers use.

Each leaf of the log is the canonical JSON (crypto/canonical.py) of one entry. docs/log.md is the
specification for outside implementers; this module is its reference implementation, shared by
the server (which builds entries) and `undersigned verify` (which checks them), so the two cannot
drift apart. No Django imports.

Nothing personal is ever in an entry in clear: a signature entry holds its tier, a date, a
commitment to the signer's receipt secret and, for named tiers, a salted hash of the fields the
signer chose to show. Both are keyed by the receipt secret, so only its holder can open them.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .canonical import CanonicalJSONError, canonical_json, parse_canonical

__all__ = [
    "FIELD_NAMES",
    "FORMAT",
    "MAX_INVALIDATION_INDEXES",
    "MAX_TEXT",
    "NAMED_FIELD_TIERS",
    "TIERS",
    "TYPES",
    "EntryError",
    "LogEntry",
    "amendment_entry",
    "delivery_entry",
    "fields_hash",
    "fields_salt",
    "invalidation_entry",
    "letter_entry",
    "parse_entry",
    "receipt_commitment",
    "signature_entry",
    "withdrawal_entry",
]

FORMAT = "undersigned-log/1"
TIERS = ("public", "recipient", "counted", "anonymous")
# Tiers whose fields someone outside the campaign sees (the public, or the recipient).
NAMED_FIELD_TIERS = ("public", "recipient")
FIELD_NAMES = ("name", "title", "department", "location")
TYPES = ("letter", "amendment", "signature", "withdrawal", "invalidation", "delivery")
MAX_TEXT = 500
# Keeps an invalidation entry far below the 65,535-byte limit of an entry bundle.
MAX_INVALIDATION_INDEXES = 2000
_MAX_INDEX = 2**53 - 1

_COMMITMENT_LABEL = b"undersigned/log/commitment/v1"
_SALT_LABEL = b"undersigned/log/fields-salt/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")
# The common case, recognised without a JSON parser: a text matching this is canonical by
# construction (fixed keys in sorted order, no escapes possible in its values).
_FAST_SIGNATURE = re.compile(
    rb'\{"commitment":"([0-9a-f]{64})","date":"([0-9]{4}-[0-9]{2}-[0-9]{2})",'
    rb'"fields_hash":(null|"[0-9a-f]{64}"),"tier":"(public|recipient|counted|anonymous)",'
    rb'"type":"signature"\}'
)


class EntryError(ValueError):
    """An entry is not canonical JSON, or not one of the formats in docs/log.md."""


@dataclass(frozen=True)
class LogEntry:
    """A parsed, well-formed entry. ``refs`` are the signature indexes it removes, if any."""

    type: str
    date: str
    tier: str | None = None
    commitment: str | None = None
    fields_hash: str | None = None
    token: bytes | None = None
    refs: tuple[int, ...] = ()
    body: Mapping[str, Any] | None = None


def _secret_bytes(secret: str) -> bytes:
    if not secret:
        raise EntryError("the receipt secret is empty")
    return secret.encode("utf-8")


def receipt_commitment(secret: str) -> str:
    """HMAC-SHA256(key=secret, "undersigned/log/commitment/v1"), hex.

    Keyed by a secret of 256 random bits, it cannot be reversed or guessed, and it differs from
    anything the server stores for its own look-ups.
    """
    return hmac.new(_secret_bytes(secret), _COMMITMENT_LABEL, hashlib.sha256).hexdigest()


def fields_salt(secret: str) -> bytes:
    """HMAC-SHA256(key=secret, "undersigned/log/fields-salt/v1").

    A signer can hand this salt (not the secret, which also withdraws) to someone to prove which
    fields their entry carries.
    """
    return hmac.new(_secret_bytes(secret), _SALT_LABEL, hashlib.sha256).digest()


def fields_hash(salt: bytes, fields: Mapping[str, str]) -> str:
    """HMAC-SHA256(key=salt, canonical JSON of the four fields, "" when empty), hex."""
    if len(salt) != 32:
        raise EntryError("the fields salt must be 32 bytes")
    unknown = set(fields) - set(FIELD_NAMES)
    if unknown:
        raise EntryError(f"unknown signer fields: {sorted(unknown)}")
    values = {name: str(fields.get(name, "") or "") for name in FIELD_NAMES}
    return hmac.new(salt, canonical_json(values), hashlib.sha256).hexdigest()


def _date(value: dt.date) -> str:
    return value.isoformat()


def _encode(entry: dict[str, Any]) -> bytes:
    try:
        data = canonical_json(entry)
    except CanonicalJSONError as exc:
        raise EntryError(str(exc)) from exc
    parse_entry(data)  # the builder must never produce what the verifier would refuse
    return data


def letter_entry(
    *,
    date: dt.date,
    text_hash: str,
    domains: Sequence[str],
    issuance_key: bytes | None = None,
    token_challenge: bytes | None = None,
) -> bytes:
    """The genesis entry, always at index 0."""
    return _encode(
        {
            "type": "letter",
            "format": FORMAT,
            "date": _date(date),
            "text_hash": text_hash,
            "domains": sorted(set(domains)),
            "issuance_key": None if issuance_key is None else _b64(issuance_key),
            "token_challenge": None if token_challenge is None else _b64(token_challenge),
        }
    )


def amendment_entry(*, date: dt.date, text_hash: str) -> bytes:
    return _encode({"type": "amendment", "date": _date(date), "text_hash": text_hash})


def signature_entry(
    *,
    tier: str,
    date: dt.date,
    secret: str,
    fields: Mapping[str, str] | None = None,
    token: bytes | None = None,
) -> bytes:
    """A signature; ``fields`` only for the named tiers, ``token`` only for anonymous ones."""
    if tier not in TIERS:
        raise EntryError(f"unknown tier {tier!r}")
    if (fields is not None) != (tier in NAMED_FIELD_TIERS):
        raise EntryError(f"fields go with the tiers {NAMED_FIELD_TIERS} and only with them")
    entry: dict[str, Any] = {
        "type": "signature",
        "tier": tier,
        "date": _date(date),
        "commitment": receipt_commitment(secret),
        "fields_hash": None if fields is None else fields_hash(fields_salt(secret), fields),
    }
    if token is not None:
        if tier != "anonymous":
            raise EntryError("only anonymous signatures carry a token")
        entry["token"] = _b64(token)
    return _encode(entry)


def withdrawal_entry(*, date: dt.date, index: int) -> bytes:
    return _encode({"type": "withdrawal", "date": _date(date), "index": index})


def invalidation_entry(*, date: dt.date, indexes: Sequence[int], reason: str) -> bytes:
    return _encode(
        {
            "type": "invalidation",
            "date": _date(date),
            "indexes": sorted(set(indexes)),
            "reason": reason,
        }
    )


def delivery_entry(
    *, date: dt.date, pdf_hash: str, recipient: str, recipient_pdf_hash: str | None = None
) -> bytes:
    """``pdf_hash`` is the published PDF's; ``recipient_pdf_hash`` the recipient's copy's.

    Entries written before the two copies existed have only ``pdf_hash``: one PDF was both.
    """
    entry = {"type": "delivery", "date": _date(date), "pdf_hash": pdf_hash, "recipient": recipient}
    if recipient_pdf_hash is not None:
        entry["recipient_pdf_hash"] = recipient_pdf_hash
    return _encode(entry)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# ---- parsing -------------------------------------------------------------------------------

_KEYS: dict[str, frozenset[str]] = {
    "letter": frozenset(
        {"type", "format", "date", "text_hash", "domains", "issuance_key", "token_challenge"}
    ),
    "amendment": frozenset({"type", "date", "text_hash"}),
    "signature": frozenset({"type", "tier", "date", "commitment", "fields_hash"}),
    "withdrawal": frozenset({"type", "date", "index"}),
    "invalidation": frozenset({"type", "date", "indexes", "reason"}),
    "delivery": frozenset({"type", "date", "pdf_hash", "recipient"}),
}


@functools.lru_cache(maxsize=4096)
def _valid_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise EntryError(message)


def _hex64(body: Mapping[str, Any], key: str, *, nullable: bool = False) -> str | None:
    value = body[key]
    if value is None and nullable:
        return None
    _need(isinstance(value, str) and bool(_HEX64.fullmatch(value)), f"{key} must be 64 hex digits")
    return str(value)


def _index(value: Any, what: str) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_INDEX
    _need(ok, f"{what} must be a non-negative integer")
    return int(value)


def _text(value: Any, what: str) -> str:
    ok = isinstance(value, str) and 0 < len(value) <= MAX_TEXT and value.strip() == value
    _need(ok, f"{what} must be non-empty text of at most {MAX_TEXT} characters")
    return str(value)


def _optional_b64(value: Any, what: str) -> bytes | None:
    if value is None:
        return None
    _need(isinstance(value, str) and bool(value), f"{what} must be base64 or null")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EntryError(f"{what} is not valid base64") from exc
    _need(_b64(raw) == value, f"{what} is not canonical base64")
    return raw


def _check_letter(body: Mapping[str, Any]) -> None:
    _need(body["format"] == FORMAT, f"unknown log format {body['format']!r}, want {FORMAT!r}")
    _hex64(body, "text_hash")
    domains = body["domains"]
    _need(isinstance(domains, list), "domains must be a list")
    for domain in domains:
        ok = isinstance(domain, str) and bool(_DOMAIN.fullmatch(domain))
        _need(ok, f"domain {domain!r} is not a lower-case domain name")
    _need(domains == sorted(set(domains)), "domains must be sorted and unique")
    key = _optional_b64(body["issuance_key"], "issuance_key")
    challenge = _optional_b64(body["token_challenge"], "token_challenge")
    _need((key is None) == (challenge is None), "issuance_key and token_challenge go together")


def _parse_signature(body: Mapping[str, Any], date: str) -> LogEntry:
    tier = body["tier"]
    _need(tier in TIERS, f"unknown tier {tier!r}")
    commitment = _hex64(body, "commitment")
    hashed = _hex64(body, "fields_hash", nullable=True)
    _need(
        (hashed is not None) == (tier in NAMED_FIELD_TIERS),
        f"fields_hash must be set for the tiers {NAMED_FIELD_TIERS} and null otherwise",
    )
    token = None
    if "token" in body:
        _need(tier == "anonymous", "only anonymous signatures carry a token")
        token = _optional_b64(body["token"], "token")
        _need(token is not None, "token must not be null")
    return LogEntry("signature", date, tier, commitment, hashed, token, (), body)


def _parse_body(body: Mapping[str, Any]) -> LogEntry:
    kind = body.get("type")
    _need(isinstance(kind, str) and kind in _KEYS, f"unknown entry type {kind!r}")
    expected = _KEYS[str(kind)]
    keys = set(body)
    if kind == "signature":
        keys.discard("token")
    elif kind == "delivery":
        keys.discard("recipient_pdf_hash")
    _need(keys == expected, f"a {kind} entry has exactly the keys {sorted(expected)}")
    date = body["date"]
    _need(isinstance(date, str) and _valid_date(date), "date must be a valid YYYY-MM-DD date")
    if kind == "signature":
        return _parse_signature(body, date)
    refs: tuple[int, ...] = ()
    if kind == "letter":
        _check_letter(body)
    elif kind == "amendment":
        _hex64(body, "text_hash")
    elif kind == "withdrawal":
        refs = (_index(body["index"], "index"),)
    elif kind == "invalidation":
        indexes = body["indexes"]
        _need(isinstance(indexes, list) and bool(indexes), "indexes must be a non-empty list")
        _need(len(indexes) <= MAX_INVALIDATION_INDEXES, "too many indexes in one invalidation")
        refs = tuple(_index(i, "each index") for i in indexes)
        _need(list(refs) == sorted(set(refs)), "indexes must be sorted and unique")
        _text(body["reason"], "reason")
    else:
        _hex64(body, "pdf_hash")
        _text(body["recipient"], "recipient")
        if "recipient_pdf_hash" in body:
            _hex64(body, "recipient_pdf_hash")
    return LogEntry(str(kind), date, refs=refs, body=body)


def parse_entry(data: bytes) -> LogEntry:
    """Parse one entry strictly: canonical JSON, a known type, exactly its fields, valid values."""
    fast = _FAST_SIGNATURE.fullmatch(data)
    if fast is not None:
        commitment, date, hashed, tier = (g.decode("ascii") for g in fast.groups())
        _need(_valid_date(date), "date must be a valid YYYY-MM-DD date")
        hashed_value = None if hashed == "null" else hashed[1:-1]
        _need(
            (hashed_value is not None) == (tier in NAMED_FIELD_TIERS),
            f"fields_hash must be set for the tiers {NAMED_FIELD_TIERS} and null otherwise",
        )
        return LogEntry("signature", date, tier, commitment, hashed_value)
    try:
        body = parse_canonical(data)
    except CanonicalJSONError as exc:
        raise EntryError(f"not canonical JSON: {exc}") from exc
    return _parse_body(body)
