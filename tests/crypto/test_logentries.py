"""Log entry formats (docs/log.md): builders, the strict parser, commitments and salted fields."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.crypto import logentries
from undersigned.crypto.canonical import canonical_json
from undersigned.crypto.logentries import EntryError, parse_entry

DAY = dt.date(2025, 3, 9)
SECRET = "kq3V2fJ0cX7b3yqz0Jm2kq3V2fJ0cX7b3yqz0Jm2abc"
HEX = "ab" * 32


def test_receipt_commitment_is_hmac_of_the_label_under_the_secret() -> None:
    expected = hmac.new(SECRET.encode(), b"undersigned/log/commitment/v1", hashlib.sha256)
    assert logentries.receipt_commitment(SECRET) == expected.hexdigest()
    assert logentries.receipt_commitment(SECRET) != hashlib.sha256(SECRET.encode()).hexdigest()


def test_fields_hash_is_hmac_of_canonical_fields_under_the_salt() -> None:
    salt = logentries.fields_salt(SECRET)
    expected_salt = hmac.new(SECRET.encode(), b"undersigned/log/fields-salt/v1", hashlib.sha256)
    assert salt == expected_salt.digest()
    doc = b'{"department":"","location":"","name":"Ada","title":"CTO"}'
    assert (
        logentries.fields_hash(salt, {"name": "Ada", "title": "CTO"})
        == hmac.new(salt, doc, hashlib.sha256).hexdigest()
    )


def test_signature_entry_bytes_are_exact() -> None:
    data = logentries.signature_entry(tier="counted", date=DAY, secret=SECRET)
    commitment = logentries.receipt_commitment(SECRET)
    assert (
        data
        == (
            f'{{"commitment":"{commitment}","date":"2025-03-09","fields_hash":null,'
            '"tier":"counted","type":"signature"}'
        ).encode()
    )


@pytest.mark.parametrize(
    "data",
    [
        logentries.letter_entry(date=DAY, text_hash=HEX, domains=["b.example", "a.example"]),
        logentries.letter_entry(
            date=DAY, text_hash=HEX, domains=[], issuance_key=b"k", token_challenge=b"c"
        ),
        logentries.amendment_entry(date=DAY, text_hash=HEX),
        logentries.signature_entry(tier="public", date=DAY, secret=SECRET, fields={"name": "A"}),
        logentries.signature_entry(tier="anonymous", date=DAY, secret=SECRET, token=b"t" * 10),
        logentries.withdrawal_entry(date=DAY, index=7),
        logentries.invalidation_entry(date=DAY, indexes=[9, 3, 3], reason="Bots"),
        logentries.delivery_entry(date=DAY, pdf_hash=HEX, recipient="The CEO"),
        logentries.delivery_entry(
            date=DAY, pdf_hash=HEX, recipient="The CEO", recipient_pdf_hash="cd" * 32
        ),
    ],
)
def test_built_entries_parse_back(data: bytes) -> None:
    entry = parse_entry(data)
    assert canonical_json(dict(entry.body or {})) == data or entry.type == "signature"


def test_delivery_entry_bytes_are_exact_with_and_without_the_recipient_copy() -> None:
    public, private = "ab" * 32, "cd" * 32
    both = logentries.delivery_entry(
        date=DAY, pdf_hash=public, recipient="The CEO", recipient_pdf_hash=private
    )
    # An entry written before the two copies, which every verifier still accepts.
    one = b'{"date":"2025-03-09","pdf_hash":"' + public.encode() + b'","recipient":"The CEO",'
    one += b'"type":"delivery"}'
    assert (
        both
        == (
            f'{{"date":"2025-03-09","pdf_hash":"{public}","recipient":"The CEO",'
            f'"recipient_pdf_hash":"{private}","type":"delivery"}}'
        ).encode()
    )
    parsed = [dict(parse_entry(data).body or {}) for data in (both, one)]
    assert [body.get("recipient_pdf_hash") for body in parsed] == [private, None]


def test_invalidation_indexes_are_sorted_unique() -> None:
    entry = parse_entry(logentries.invalidation_entry(date=DAY, indexes=[9, 3, 3], reason="x"))
    assert entry.refs == (3, 9)


def test_signature_fast_path_and_full_parser_agree() -> None:
    data = logentries.signature_entry(tier="recipient", date=DAY, secret=SECRET, fields={})
    fast = parse_entry(data)
    body = {"type": "signature", "tier": "recipient", "date": "2025-03-09"}
    body |= {"commitment": fast.commitment, "fields_hash": fast.fields_hash}
    assert (fast.type, fast.tier, fast.date) == ("signature", "recipient", "2025-03-09")
    assert canonical_json(body) == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"date":"2025-01-01","type":"bogus"}', "unknown entry type"),
        (b'{ "type":"withdrawal","date":"2025-01-01","index":1}', "not canonical"),
        (b'{"date":"2025-02-30","index":1,"type":"withdrawal"}', "valid YYYY-MM-DD"),
        (b'{"date":"2025-01-01","index":-1,"type":"withdrawal"}', "non-negative"),
        (b'{"date":"2025-01-01","index":true,"type":"withdrawal"}', "non-negative"),
        (b'{"date":"2025-01-01","index":1,"name":"Ada","type":"withdrawal"}', "exactly the keys"),
        (b'{"date":"2025-01-01","indexes":[3,1],"reason":"x","type":"invalidation"}', "sorted"),
        (b'{"date":"2025-01-01","indexes":[],"reason":"x","type":"invalidation"}', "non-empty"),
        (b'{"date":"2025-01-01","indexes":[1],"reason":" x","type":"invalidation"}', "reason"),
        (
            b'{"commitment":"' + b"a" * 64 + b'","date":"2025-01-01","fields_hash":null,'
            b'"tier":"public","type":"signature"}',
            "fields_hash must be set",
        ),
        (
            b'{"commitment":"' + b"A" * 64 + b'","date":"2025-01-01","fields_hash":null,'
            b'"tier":"counted","type":"signature"}',
            "64 hex digits",
        ),
        (
            b'{"commitment":"' + b"a" * 64 + b'","date":"2025-01-01","fields_hash":null,'
            b'"tier":"counted","token":"AA==","type":"signature"}',
            "only anonymous",
        ),
        (
            b'{"date":"2025-01-01","pdf_hash":"' + b"a" * 64 + b'","recipient":"CEO",'
            b'"recipient_pdf_hash":null,"type":"delivery"}',
            "recipient_pdf_hash must be 64 hex digits",
        ),
        (
            b'{"date":"2025-01-01","pdf_hash":"' + b"a" * 64 + b'","recipient":"CEO",'
            b'"signers":"' + b"a" * 64 + b'","type":"delivery"}',
            "exactly the keys",
        ),
        (b"\xff", "not canonical"),
        (b"[]", "not canonical"),
    ],
)
def test_parse_entry_refuses_malformed_entries(data: bytes, message: str) -> None:
    with pytest.raises(EntryError, match=message):
        parse_entry(data)


def test_builders_refuse_what_the_parser_would() -> None:
    with pytest.raises(EntryError):
        logentries.signature_entry(tier="counted", date=DAY, secret=SECRET, fields={"name": "x"})
    with pytest.raises(EntryError):
        logentries.signature_entry(tier="public", date=DAY, secret=SECRET)
    with pytest.raises(EntryError):
        logentries.signature_entry(tier="counted", date=DAY, secret=SECRET, token=b"x")
    with pytest.raises(EntryError):
        logentries.letter_entry(date=DAY, text_hash="nothex", domains=[])
    with pytest.raises(EntryError):
        logentries.signature_entry(tier="counted", date=DAY, secret="")


@settings(database=None, deadline=None, max_examples=300)
@given(st.binary(max_size=300))
def test_parse_entry_never_fails_otherwise_on_random_bytes(data: bytes) -> None:
    try:
        parse_entry(data)
    except EntryError:
        return


@settings(database=None, deadline=None, max_examples=200)
@given(
    st.dictionaries(
        st.sampled_from(["type", "date", "index", "tier", "x"]),
        st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    )
)
def test_parse_entry_refuses_random_objects(body: dict[str, int]) -> None:
    with pytest.raises(EntryError):
        parse_entry(canonical_json(body))
